import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { startEtcd, freePort, type EtcdProcess } from '../support/etcd.js';
import { startPebble, type Pebble } from '../support/pebble.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { run, spawnServe } from '../cli/cli-process.js';
import { waitFor } from '../support/wait.js';
import type { AcmeReport } from '../../src/tls/acme/acme-driver.js';

// ACME for real: Debian's pebble issues the certificates, its mock DNS sends every name to
// 127.0.0.1, and it validates each HTTP-01 token on the plain listener of one Junction — which is
// not always the one that ordered.

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface StoredCert {
  cert: string;
  key: string;
}

async function storedCert(j: TestJunction, id: string): Promise<X509Certificate | undefined> {
  const kv = await j.store.get(`/junction/certs/${id}`);
  return kv === undefined ? undefined : new X509Certificate((JSON.parse(kv.value) as StoredCert).cert);
}

function acmeReport(j: TestJunction): AcmeReport | undefined {
  return (j.status() as { acme?: AcmeReport }).acme;
}

/** The leaf a TLS handshake naming `servername` gets from `port`. */
function served(port: number, servername: string): Promise<X509Certificate | undefined> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const raw = s.getPeerCertificate().raw;
      s.end();
      resolve(raw === undefined ? undefined : new X509Certificate(raw));
    });
    s.on('error', () => resolve(undefined));
  });
}

async function metric(j: TestJunction, outcome: string): Promise<number> {
  const text = await (await fetch(`${j.adminUrl}/metrics`)).text();
  const m = new RegExp(`^junction_acme_orders_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

test('one instance on the embedded store: issued, served by SNI, renewed a third before expiry; a failed order backs off and keeps what serves', async () => {
  const httpPort = await freePort();
  // 30 s certificates: renewed from 20 s on
  const pebble = await startPebble({ httpPort, validitySeconds: 30 });
  cleanups.push(() => pebble.stop());
  const j = await startTestJunction({
    listen: { host: '127.0.0.1', port: httpPort },
    listenTls: { host: '127.0.0.1', port: 0 },
    acme: { directoryUrl: pebble.directory, email: 'ops@shop.test', ca: pebble.caPem, tickMs: 300, retryMinMs: 1000 },
  });
  cleanups.push(() => j.stop());
  const tlsPort = j.tlsAddress?.port ?? 0;

  await j.put('acme/shop', { domains: ['shop.test', 'www.shop.test'] });
  const first = await waitFor('the certificate is issued', () => storedCert(j, 'acme-shop'), 30_000, 100);
  assert.deepEqual(first.subjectAltName?.split(', ').sort(), ['DNS:shop.test', 'DNS:www.shop.test']);
  assert.match(first.issuer, /Pebble/i, 'issued by pebble');
  const stored = JSON.parse((await j.store.get('/junction/certs/acme-shop'))!.value) as StoredCert & { default?: boolean };
  assert.ok(first.checkPrivateKey((await import('node:crypto')).createPrivateKey(stored.key)), 'the key stored is the leaf\'s');

  // the next handshake for either name gets it, without a restart
  const leaf = await waitFor('served by SNI', async () => {
    const c = await served(tlsPort, 'www.shop.test');
    return c?.fingerprint256 === first.fingerprint256 ? c : undefined;
  }, 10_000, 50);
  assert.equal(leaf.fingerprint256, first.fingerprint256);

  const report = acmeReport(j);
  assert.ok(report !== undefined);
  assert.equal(report.driving, true);
  assert.equal(report.driver, `test-${process.pid}`);
  const shop = report.certificates.find((c) => c.id === 'shop');
  assert.equal(shop?.state, 'valid');
  assert.equal(shop?.cert, 'acme-shop');
  assert.equal(shop?.notAfter, new Date(first.validTo).toISOString());
  assert.equal(await metric(j, 'issued'), 1);
  const cli = await run(['status'], { JUNCTION_ADMIN_URL: j.adminUrl });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /\nacme {6}this instance drives\n {2}shop: shop\.test, www\.shop\.test; valid, renews from \S+Z\n/);
  // the token is gone once the order is done
  assert.equal((await j.store.load()).kvs.filter((kv) => kv.key.includes('/acme-state/challenges/')).length, 0);

  // renewal: a new certificate once two thirds of the 30 s have passed, before the old one expires
  const renewed = await waitFor('renewed', async () => {
    const c = await storedCert(j, 'acme-shop');
    return c !== undefined && c.fingerprint256 !== first.fingerprint256 ? c : undefined;
  }, 30_000, 200);
  assert.ok(Date.parse(renewed.validFrom) < Date.parse(first.validTo), 'renewed while the first was still valid');
  assert.ok(Date.parse(renewed.validTo) > Date.parse(first.validTo));
  assert.ok((await metric(j, 'renewed')) >= 1);

  // a failure: pebble cannot reach the name (the mock DNS sends it where nothing listens)
  await pebble.setA('down.test', '127.0.0.2');
  await j.put('acme/down', { domains: ['down.test'] });
  const failed = await waitFor('the failure is reported', () => {
    const c = acmeReport(j)?.certificates.find((x) => x.id === 'down');
    return c !== undefined && c.failures >= 2 ? c : undefined;
  }, 30_000, 100);
  assert.equal(failed.state, 'failed');
  assert.ok(failed.lastError !== null && failed.lastError.length > 0, 'the reason is shown');
  assert.ok(failed.nextAttemptAt !== null && Date.parse(failed.nextAttemptAt) > Date.now() - 1000, 'the next attempt is scheduled');
  const cliFailed = await run(['status'], { JUNCTION_ADMIN_URL: j.adminUrl });
  assert.match(cliFailed.stdout, /\n {2}down: down\.test; FAILED \d+x, next try \S+: .+\n/);
  assert.ok((await metric(j, 'failed')) >= 2);
  assert.equal(await storedCert(j, 'acme-down'), undefined, 'no certificate is written for a failed order');
  assert.ok((await storedCert(j, 'acme-shop')) !== undefined, 'the other certificate keeps serving');
  // the back-off doubles: 1 s, 2 s, 4 s … so a few seconds bring few attempts
  const before = failed.failures;
  await new Promise((r) => setTimeout(r, 2500));
  const later = acmeReport(j)?.certificates.find((x) => x.id === 'down');
  assert.ok(later !== undefined && later.failures - before <= 2, `backing off: ${before} then ${later?.failures} failures in 2.5 s`);
  // fixed: the next attempt succeeds
  await pebble.clearA('down.test');
  await waitFor('issued once the name is reachable', () => storedCert(j, 'acme-down'), 30_000, 200);
  await waitFor('reported valid', () => acmeReport(j)?.certificates.find((x) => x.id === 'down')?.state === 'valid', 5000, 50);
});

test('challenges: a token Junction wrote is answered before any route; any other goes to the routes (an ACME client behind Junction keeps working)', async () => {
  const j = await startTestJunction();
  cleanups.push(() => j.stop());
  const { startUpstream } = await import('../support/upstream.js');
  const up = await startUpstream('behind');
  cleanups.push(() => up.close());
  await j.put('backends/b', { servers: [{ id: 's', url: up.url }] });
  await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, backend: 'b' }));
  await j.put('acme-state/challenges/tok_123-ABC', 'tok_123-ABC.thumbprint');
  const ok = await waitFor('the token is answered', async () => {
    const r = await get(`${j.url}/.well-known/acme-challenge/tok_123-ABC`);
    return r.status === 200 ? r : undefined;
  }, 5000, 20);
  assert.equal(ok.text, 'tok_123-ABC.thumbprint');
  assert.match(String(ok.headers['content-type']), /^text\/plain/);
  const head = await get(`${j.url}/.well-known/acme-challenge/tok_123-ABC`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(up.seen.filter((r) => r.url.includes('tok_123-ABC')).length, 0, 'the upstream never saw the token Junction answered');
  for (const path of ['/.well-known/acme-challenge/nope', '/.well-known/acme-challenge/a.b', '/.well-known/acme-challenge/']) {
    const r = await get(`${j.url}${path}`);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['x-upstream'], 'behind', `${path} went to the route`);
  }
  // another method is not a challenge: it goes to the routes too
  const post = await get(`${j.url}/.well-known/acme-challenge/tok_123-ABC`, { method: 'POST', body: 'x' });
  assert.equal(post.headers['x-upstream'], 'behind');
  // with no route for it, an unknown token is the usual 404 no_route
  await j.applied(await j.del('routes/all'));
  const none = await get(`${j.url}/.well-known/acme-challenge/nope`);
  assert.equal(none.status, 404);
  assert.equal((JSON.parse(none.text) as { error: string }).error, 'no_route');
  assert.equal((await get(`${j.url}/.well-known/acme-challenge/tok_123-ABC`)).text, 'tok_123-ABC.thumbprint', 'a known token needs no route');
  // the API refuses to write Junction's own keys
  const put = await fetch(`${j.adminUrl}/api/v1/tx`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ops: [{ op: 'put', key: 'acme-state/challenges/x', value: { a: 1 } }] }),
  });
  assert.equal(put.status, 400);
  assert.match(await put.text(), /acme-state\/ keys are written by Junction/);
  // own keys are never configuration errors
  assert.deepEqual((j.snapshot()?.issues ?? []).filter((i) => i.key.includes('acme-state')), []);
});

test('a fleet on etcd: A orders while C (no ACME flags) answers its tokens and serves the certificate; A killed mid-order, B finishes', async () => {
  const etcd: EtcdProcess = await startEtcd({ name: 'acme' });
  cleanups.push(() => etcd.cleanup());
  const portC = await freePort();
  // pebble validates every token on C's plain listener; C never orders anything
  const pebble = await startPebble({ httpPort: portC });
  cleanups.push(() => pebble.stop());
  const c = await startTestJunction({
    etcd: [etcd.endpoint],
    instanceId: 'instance-c',
    listen: { host: '127.0.0.1', port: portC },
    listenTls: { host: '127.0.0.1', port: 0 },
    statusKey: false,
  });
  cleanups.push(() => c.stop());

  // A: a separate process, so that it can be SIGKILLed
  const adminA = await freePort();
  const a = spawnServe([
    '--etcd', etcd.endpoint,
    '--listen', '127.0.0.1:0',
    '--admin', `127.0.0.1:${adminA}`,
    '--instance-id', 'instance-a',
    '--acme-directory', pebble.directory,
    '--acme-ca-file', pebble.caFile,
    '--access-log', 'off',
    '--log-level', 'warn',
  ]);
  cleanups.push(async () => {
    a.child.kill('SIGKILL');
    await a.exited;
  });
  await waitFor('A is ready', async () => (await fetch(`http://127.0.0.1:${adminA}/readyz`).catch(() => undefined))?.status === 200, 20_000, 100);

  // 1. A takes the lock and orders; C answers the token
  await c.put('acme/one', { domains: ['one.test'] });
  const one = await waitFor('certificate one', () => storedCert(c, 'acme-one'), 30_000, 100);
  assert.equal(one.subjectAltName, 'DNS:one.test');
  const lockA = JSON.parse((await c.store.get('/junction/locks/acme'))!.value) as { instance: string };
  assert.equal(lockA.instance, 'instance-a');
  const recordOne = JSON.parse((await c.store.get('/junction/acme-state/orders/one'))!.value) as { instance: string; state: string };
  assert.deepEqual([recordOne.state, recordOne.instance], ['issued', 'instance-a']);
  await waitFor('C serves it by SNI', async () => (await served(c.tlsAddress?.port ?? 0, 'one.test'))?.fingerprint256 === one.fingerprint256, 10_000, 50);
  const aStatus = (await (await fetch(`http://127.0.0.1:${adminA}/api/v1/status`)).json()) as { acme: AcmeReport };
  assert.equal(aStatus.acme.driving, true);
  assert.equal(aStatus.acme.certificates.find((x) => x.id === 'one')?.state, 'valid');

  // 2. B joins while A holds the lock: it waits
  const b = await startTestJunction({
    etcd: [etcd.endpoint],
    instanceId: 'instance-b',
    statusKey: false,
    acme: { directoryUrl: pebble.directory, ca: pebble.caPem, tickMs: 300, retryMinMs: 1000 },
  });
  cleanups.push(() => b.stop());
  await waitFor('B sees A driving', () => acmeReport(b)?.driver === 'instance-a', 5000, 50);
  assert.equal(acmeReport(b)?.driving, false);

  // 3. A is killed in the middle of an order: as soon as its challenge token is in the store
  await c.put('acme/two', { domains: ['two.test', 'www.two.test'] });
  await waitFor('A has written a challenge', async () => (await c.store.load()).kvs.some((kv) => kv.key.includes('/acme-state/challenges/')), 20_000, 5);
  a.child.kill('SIGKILL');
  await a.exited;
  const killedAt = Date.now();
  assert.equal(await storedCert(c, 'acme-two'), undefined, 'A died before finishing');

  // B takes the lock once A's lease runs out (10 s) and finishes the order; C answers B's tokens
  await waitFor('B drives', () => acmeReport(b)?.driving === true, 20_000, 50);
  const tookOverMs = Date.now() - killedAt;
  assert.ok(tookOverMs <= 10_000 + 2000, `B took over ${tookOverMs} ms after the kill`);
  const two = await waitFor('certificate two', () => storedCert(c, 'acme-two'), 30_000, 100);
  assert.deepEqual(two.subjectAltName?.split(', ').sort(), ['DNS:two.test', 'DNS:www.two.test']);
  const recordTwo = JSON.parse((await c.store.get('/junction/acme-state/orders/two'))!.value) as { instance: string; state: string };
  assert.deepEqual([recordTwo.state, recordTwo.instance], ['issued', 'instance-b']);
  // the first certificate was not ordered again; A's stale token is gone
  assert.equal((await storedCert(c, 'acme-one'))?.fingerprint256, one.fingerprint256);
  assert.equal((await c.store.load()).kvs.filter((kv) => kv.key.includes('/acme-state/challenges/')).length, 0);
  assert.equal((JSON.parse((await c.store.get('/junction/locks/acme'))!.value) as { instance: string }).instance, 'instance-b');
  await waitFor('C serves two', async () => (await served(c.tlsAddress?.port ?? 0, 'www.two.test'))?.fingerprint256 === two.fingerprint256, 10_000, 50);
});
