// The TLS listener seen by clients other than Node's own: `openssl s_client` asking for names by
// SNI (exact, wildcard, the default, and a name nothing covers with no default: refused with
// handshake_failure, alert 40) and `curl --http2` negotiating h2 by ALPN. Then what a bad
// certificate value does to a serving one (rejected by key and field, the last good version keeps
// serving), and a certificate rotated several times under a bounded load of HTTP/2 and HTTP/1.1
// requests on new and reused connections: no request fails, and every handshake after a put gets
// the new certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { request } from 'undici';
import type { TestJunction } from '../support/junction.js';
import type { TestUpstream } from '../support/upstream.js';
import type { TestCa, Minted } from '../support/test-ca.js';
import { startTlsJunction, type TlsJunction } from '../support/tls-junction.js';
import { mintCert } from '../support/certs.js';
import { metric } from '../faults/helpers.js';
import { waitFor } from '../support/wait.js';

let ca: TestCa;
let shop: Minted;
let wild: Minted;
let fallback: Minted;
let j: TestJunction;
let up: TestUpstream;
let port: number;
let dir: string;
let caFile: string;

let fx: TlsJunction;

before(async () => {
  fx = await startTlsJunction({
    certs: { shop: { names: ['shop.test'] }, wild: { names: ['*.wild.test'] }, fallback: { names: ['default.test'], default: true } },
  });
  ({ ca, j, up, port } = fx);
  ({ shop, wild, fallback } = fx.certs as Record<'shop' | 'wild' | 'fallback', Minted>);
  dir = mkdtempSync(join(tmpdir(), 'junction-tls-clients-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
});

after(async () => {
  await fx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const fingerprint = (m: Minted) => new X509Certificate(m.cert).fingerprint256;

interface Run {
  readonly code: number;
  readonly out: string;
}

/** Runs a command with an empty stdin; its exit status and stdout + stderr (never throws on a status). */
function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      if (code === -1 && err !== null && (err as { killed?: boolean }).killed) return reject(new Error(`${cmd} timed out: ${stdout}${stderr}`));
      resolve({ code, out: `${stdout}${stderr}` });
    });
    child.stdin?.end();
  });
}

/** `openssl s_client` against the TLS listener, trusting the test CA; `servername` undefined: no SNI at all. */
function sClient(servername: string | undefined, extra: readonly string[] = []): Promise<Run> {
  const sni = servername === undefined ? ['-noservername'] : ['-servername', servername];
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...sni, '-CAfile', caFile, '-alpn', 'h2,http/1.1', ...extra]);
}

/** The certificate s_client printed under "Server certificate". */
function servedBy(r: Run): X509Certificate {
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.out)?.[0];
  assert.ok(pem, `s_client shows the server's certificate:\n${r.out}`);
  return new X509Certificate(pem);
}

test('openssl s_client: an exact SAN, a wildcard one label up, the default (also without SNI); each verified and h2 by ALPN', async () => {
  const exact = await sClient('shop.test', ['-verify_return_error', '-verify_hostname', 'shop.test']);
  assert.equal(exact.code, 0, exact.out);
  assert.equal(servedBy(exact).fingerprint256, fingerprint(shop));
  assert.equal(servedBy(exact).subject, 'CN=shop.test');
  assert.match(servedBy(exact).subjectAltName ?? '', /\bDNS:shop\.test\b/);
  assert.match(exact.out, /Verify return code: 0 \(ok\)/);
  assert.match(exact.out, /ALPN protocol: h2/);

  const wildcard = await sClient('a.wild.test', ['-verify_return_error', '-verify_hostname', 'a.wild.test']);
  assert.equal(wildcard.code, 0, wildcard.out);
  assert.equal(servedBy(wildcard).fingerprint256, fingerprint(wild));
  assert.match(servedBy(wildcard).subjectAltName ?? '', /DNS:\*\.wild\.test/);
  assert.match(wildcard.out, /Verify return code: 0 \(ok\)/);

  // two labels under the wildcard, and a name nothing covers: the default certificate
  for (const name of ['b.a.wild.test', 'nowhere.test']) {
    const r = await sClient(name);
    assert.equal(r.code, 0, r.out);
    assert.equal(servedBy(r).fingerprint256, fingerprint(fallback), name);
    assert.equal(servedBy(r).subject, 'CN=default.test');
    assert.match(servedBy(r).subjectAltName ?? '', /\bDNS:default\.test\b/);
    // the client that checks the name it asked for refuses it: the default is not for that name
    const checked = await sClient(name, ['-verify_return_error', '-verify_hostname', name]);
    assert.notEqual(checked.code, 0, checked.out);
    assert.match(checked.out, /hostname mismatch/i);
  }
  const noSni = await sClient(undefined);
  assert.equal(noSni.code, 0, noSni.out);
  assert.equal(servedBy(noSni).fingerprint256, fingerprint(fallback));

  // ALPN: a client offering only http/1.1 gets it on the same port
  const h1 = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'shop.test', '-CAfile', caFile, '-alpn', 'http/1.1']);
  assert.equal(h1.code, 0, h1.out);
  assert.match(h1.out, /ALPN protocol: http\/1\.1/);
});

test('openssl s_client: a name nothing covers with no default certificate is refused with handshake_failure (alert 40)', async () => {
  await j.applied(await j.del('certs/fallback'));
  try {
    const before = (await metric(j.adminUrl, 'junction_tls_handshake_errors_total', { reason: 'unknown_name' })) ?? 0;
    const r = await sClient('nowhere.test');
    assert.notEqual(r.code, 0, r.out);
    // Node's TLS cannot send unrecognized_name (112): the handshake fails for want of a certificate
    assert.match(r.out, /alert handshake failure/);
    assert.match(r.out, /SSL alert number 40\b/);
    assert.doesNotMatch(r.out, /BEGIN CERTIFICATE/, 'no certificate was sent');
    await waitFor('the handshake error counted', async () => ((await metric(j.adminUrl, 'junction_tls_handshake_errors_total', { reason: 'unknown_name' })) ?? 0) === before + 1);
    // the names certificates cover are still served
    const ok = await sClient('shop.test', ['-verify_return_error', '-verify_hostname', 'shop.test']);
    assert.equal(ok.code, 0, ok.out);
    assert.equal(servedBy(ok).fingerprint256, fingerprint(shop));
  } finally {
    await j.applied(await j.put('certs/fallback', { cert: fallback.cert, key: fallback.key, default: true }));
  }
});

test('curl --http2 negotiates h2 by ALPN (and --http1.1 gets HTTP/1.1 on the same port); X-Forwarded-Proto https upstream', async (t) => {
  const curl = await run('curl', ['--version']).catch(() => undefined);
  if (curl?.code !== 0) return t.skip('curl is not on this machine');
  const before = (await metric(j.adminUrl, 'junction_http_requests_by_protocol_total', { protocol: 'h2' })) ?? 0;
  const base = ['-sS', '--cacert', caFile, '--resolve', `shop.test:${port}:127.0.0.1`, '-o', '-', '-w', '\n%{http_code} %{http_version}'];
  const h2 = await run('curl', [...base, '--http2', `https://shop.test:${port}/via-curl?x=1`]);
  assert.equal(h2.code, 0, h2.out);
  const [body, status] = h2.out.split('\n');
  assert.equal(status, '200 2');
  assert.deepEqual(JSON.parse(body ?? ''), { upstream: 'up', url: '/via-curl?x=1' });
  const seen = up.seen.findLast((s) => s.url === '/via-curl?x=1');
  assert.equal(seen?.headers['x-forwarded-proto'], 'https');
  assert.equal(seen?.headers.host, `shop.test:${port}`);
  await waitFor('the h2 request counted', async () => ((await metric(j.adminUrl, 'junction_http_requests_by_protocol_total', { protocol: 'h2' })) ?? 0) === before + 1);

  const h1 = await run('curl', [...base, '--http1.1', `https://shop.test:${port}/via-curl-h1`]);
  assert.equal(h1.code, 0, h1.out);
  assert.equal(h1.out.split('\n')[1], '200 1.1');
});

test('junction_tls_handshake_errors_total names why: plain HTTP sent to the TLS port, a TLS 1.1 client (alert 70)', async (t) => {
  const reason = async (r: string) => (await metric(j.adminUrl, 'junction_tls_handshake_errors_total', { reason: r })) ?? 0;
  const [plain, version] = [await reason('plain_http'), await reason('protocol_version')];
  const curl = await run('curl', ['--version']).catch(() => undefined);
  if (curl?.code === 0) {
    const r = await run('curl', ['-sS', `http://127.0.0.1:${port}/`]);
    assert.notEqual(r.code, 0, 'no HTTP answer on the TLS port');
    await waitFor('plain_http counted', async () => (await reason('plain_http')) === plain + 1);
  } else t.diagnostic('curl is not on this machine: plain_http not checked');
  const old = await sClient('shop.test', ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0']); // SECLEVEL 0: an OpenSSL that would not offer TLS 1.1 at all still does
  assert.notEqual(old.code, 0, old.out);
  assert.match(old.out, /alert protocol version/);
  assert.match(old.out, /SSL alert number 70\b/);
  await waitFor('protocol_version counted', async () => (await reason('protocol_version')) === version + 1);
});

/** The status document's errors for one key. */
async function statusErrors(key: string): Promise<Array<{ key: string; field?: string; code: string; message: string; revision: number }>> {
  const r = await request(`${j.adminUrl}/api/v1/status`);
  const doc = (await r.body.json()) as { errors: Array<{ key: string; field?: string; code: string; message: string; revision: number }> };
  return doc.errors.filter((e) => e.key === key);
}

/** The status's `notAfter` of a serving certificate. */
async function servingNotAfter(id: string): Promise<string | undefined> {
  const r = await request(`${j.adminUrl}/api/v1/status`);
  const doc = (await r.body.json()) as { certs: Array<{ id: string; notAfter: string }> };
  return doc.certs.find((c) => c.id === id)?.notAfter;
}

const notAfter = (m: Minted) => new Date(new X509Certificate(m.cert).validTo).toISOString();

/** The certificate a new handshake naming `servername` gets, trusted and name-checked by the client. */
function handshake(servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername, ca: ca.cert, ALPNProtocols: ['h2'] }, () => {
      const cert = s.getPeerX509Certificate();
      s.destroy();
      if (cert === undefined) reject(new Error('no peer certificate'));
      else resolve(cert);
    });
    s.once('error', reject);
  });
}

test('a bad value for a serving certificate is rejected by key and field; the next handshake still gets the last good one', async () => {
  const other = ca.issue(['shop.test']);
  const expired = mintCert({ names: ['shop.test'], days: -1 });
  const garbage = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
  const bad: ReadonlyArray<{ what: string; value: unknown; field: 'cert' | 'key'; message: RegExp }> = [
    { what: 'a key that is not the leaf\'s', value: { cert: shop.cert, key: other.key }, field: 'key', message: /does not match the leaf/ },
    { what: 'an expired leaf', value: { cert: expired.cert, key: expired.key }, field: 'cert', message: /has expired/ },
    { what: 'garbage PEM in cert', value: { cert: garbage, key: shop.key }, field: 'cert', message: /does not parse/ },
    { what: 'garbage in key', value: { cert: shop.cert, key: 'not a key' }, field: 'key', message: /no private key/ },
  ];
  const key = '/junction/certs/shop';
  assert.deepEqual(await statusErrors(key), [], 'no error before');
  try {
    for (const b of bad) {
      const revision = await j.put('certs/shop', b.value);
      await j.applied(revision);
      const errors = await statusErrors(key);
      assert.equal(errors.length, 1, `${b.what}: one error for the key: ${JSON.stringify(errors)}`);
      assert.equal(errors[0]?.field, b.field, b.what);
      assert.equal(errors[0]?.code, 'invalid_value', b.what);
      assert.equal(errors[0]?.revision, revision, `${b.what}: the error names the rejected revision`);
      assert.match(errors[0]?.message ?? '', b.message, b.what);
      assert.equal((await handshake('shop.test')).fingerprint256, fingerprint(shop), `${b.what}: the last good certificate keeps serving`);
      // the status's certs (what serves, unlike the API's GET, which shows what is stored) and the expiry gauge agree
      assert.equal(await servingNotAfter('shop'), notAfter(shop), `${b.what}: the status shows the serving one`);
      assert.equal(await metric(j.adminUrl, 'junction_tls_certificate_expiry_seconds', { cert: 'shop' }), Date.parse(notAfter(shop)) / 1000, b.what);
    }
    // a good value replaces it at once and clears the error
    await j.applied(await j.put('certs/shop', { cert: other.cert, key: other.key }));
    assert.deepEqual(await statusErrors(key), []);
    assert.equal((await handshake('shop.test')).fingerprint256, fingerprint(other));
    assert.equal(await servingNotAfter('shop'), notAfter(other));
  } finally {
    await j.applied(await j.put('certs/shop', { cert: shop.cert, key: shop.key }));
  }
  assert.equal((await handshake('shop.test')).fingerprint256, fingerprint(shop));
});

interface Tally {
  ok: number;
  failed: number;
  readonly failures: string[];
  /** each load handshake: when it started and the certificate it got */
  readonly handshakes: Array<{ readonly at: number; readonly fp: string }>;
}

function fail(tally: Tally, why: string): void {
  tally.failed++;
  if (tally.failures.length < 10) tally.failures.push(why);
}

/** An HTTP/2 session to `name`, the server's certificate verified for that name. */
function h2session(name: string, tally: Tally): Promise<ClientHttp2Session> {
  const at = performance.now();
  return new Promise((resolve, reject) => {
    const s = h2connect(`https://127.0.0.1:${port}`, { ca: ca.cert, servername: name });
    s.once('connect', () => {
      const cert = (s.socket as TLSSocket).getPeerX509Certificate();
      tally.handshakes.push({ at, fp: cert?.fingerprint256 ?? '' });
      s.removeListener('error', reject);
      s.on('error', (err) => fail(tally, `session: ${String(err)}`));
      resolve(s);
    });
    s.once('error', reject);
  });
}

function h2get(s: ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = s.request({ ':path': path });
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.resume();
    req.on('end', () => resolve(status));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/1.1 request on a connection of its own (a handshake each). */
function h1get(name: string, path: string, tally: Tally): Promise<number> {
  const at = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: name, headers: { host: name }, ca: ca.cert, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('socket', (socket) => {
      (socket as TLSSocket).once('secureConnect', () => {
        tally.handshakes.push({ at, fp: (socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '' });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

test('rotation under load: the certificate for a name is replaced 4 times during a few thousand HTTP/2 and HTTP/1.1 requests; none fails, new handshakes get the new one', async (t) => {
  const NAME = 'rot.test';
  const ROTATIONS = 4;
  // minted before the load starts; each expires a day later than the one before, so each put wins
  const gens = Array.from({ length: ROTATIONS + 1 }, (_, i) => ca.issue([NAME], 10 + i));
  const fps = gens.map(fingerprint);
  await j.applied(await j.put('certs/rot-0', { cert: gens[0]?.cert, key: gens[0]?.key }));
  assert.equal((await handshake(NAME)).fingerprint256, fps[0]);

  const tally: Tally = { ok: 0, failed: 0, failures: [], handshakes: [] };
  let stop = false;
  const MIN_REQUESTS = 3000;
  const MAX_REQUESTS = 20_000; // bounds the load on a slow machine, whatever happens
  const total = () => tally.ok + tally.failed;
  const count = (status: number, what: string) => {
    if (status === 200) tally.ok++;
    else fail(tally, `${what}: status ${status}`);
  };

  // 5 HTTP/2 clients: a session for 20 requests (4 at a time), then a new session (a new handshake)
  const h2worker = async (w: number) => {
    for (let n = 0; !stop && total() < MAX_REQUESTS; n++) {
      let s: ClientHttp2Session;
      try {
        s = await h2session(NAME, tally);
      } catch (err) {
        fail(tally, `h2 handshake: ${String(err)}`);
        continue;
      }
      try {
        for (let batch = 0; batch < 5 && total() < MAX_REQUESTS; batch++) {
          const statuses = await Promise.allSettled([0, 1, 2, 3].map((k) => h2get(s, `/load/${w}/${n}/${batch}/${k}`)));
          for (const r of statuses) {
            if (r.status === 'fulfilled') count(r.value, 'h2');
            else fail(tally, `h2 request: ${String(r.reason)}`);
          }
        }
      } finally {
        s.close();
      }
    }
  };
  // 1 HTTP/1.1 client: a new connection per request
  const h1worker = async () => {
    while (!stop && total() < MAX_REQUESTS) {
      try {
        count(await h1get(NAME, '/load/h1', tally), 'h1');
      } catch (err) {
        fail(tally, `h1: ${String(err)}`);
      }
    }
  };

  const applied: number[] = [];
  const rotate = async () => {
    for (let i = 1; i <= ROTATIONS; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const g = gens[i] as Minted;
      await j.applied(await j.put(`certs/rot-${i}`, { cert: g.cert, key: g.key }));
      applied[i] = performance.now();
      assert.equal((await handshake(NAME)).fingerprint256, fps[i], `after put ${i}: a new handshake gets the new certificate`);
      await new Promise((r) => setTimeout(r, 150)); // both serve for a while, then the old one goes
      await j.applied(await j.del(`certs/rot-${i - 1}`));
      assert.equal((await handshake(NAME)).fingerprint256, fps[i], `after delete ${i - 1}: still the new one`);
    }
  };

  const started = Date.now();
  const load = Promise.all([...[0, 1, 2, 3, 4].map(h2worker), h1worker()]);
  try {
    await rotate();
    await waitFor(`${MIN_REQUESTS} requests`, () => total() >= MIN_REQUESTS, 60_000, 50);
  } finally {
    stop = true;
    await load;
  }
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`${total()} requests, ${tally.handshakes.length} load handshakes in ${seconds.toFixed(1)} s`);
  await j.applied(await j.del(`certs/rot-${ROTATIONS}`));

  assert.deepEqual(tally.failures, [], `failed requests (${tally.failed} of ${total()})`);
  assert.equal(tally.failed, 0);
  assert.ok(tally.ok >= MIN_REQUESTS, `${tally.ok} requests in ${seconds.toFixed(1)} s`);
  // new handshakes happened all along, and each got a certificate at least as new as the last one applied before it began
  const byIndex = new Map(fps.map((fp, i) => [fp, i]));
  const seen = new Set<number>();
  for (const h of tally.handshakes) {
    const got = byIndex.get(h.fp);
    assert.ok(got !== undefined, `a handshake got a certificate of no generation: ${h.fp}`);
    seen.add(got);
    const due = applied.reduce((latest, t, i) => (t !== undefined && t <= h.at ? i : latest), 0);
    assert.ok(got >= due, `a handshake begun after put ${due} was applied got generation ${got}`);
  }
  assert.ok(tally.handshakes.length >= 50, `${tally.handshakes.length} handshakes under load`);
  assert.ok(seen.size >= 3, `the load's handshakes saw several generations: ${[...seen].join(', ')}`);
  assert.ok(seen.has(ROTATIONS), 'and the last one');
});
