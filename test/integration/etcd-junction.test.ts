import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { request } from 'undici';
import { etcdctl, startEtcd, type EtcdProcess } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

// Junction on a real etcd, driven the way operators drive it: by writing keys from another client.
let etcd: EtcdProcess;
let relay: TcpProxy;
let client: Etcd3;
let j: TestJunction;
let v1: TestUpstream;
let v2: TestUpstream;

const put = async (key: string, value: unknown) =>
  Number((await client.put(`/junction/${key}`).value(typeof value === 'string' ? value : JSON.stringify(value)).exec()).header.revision);

async function status(): Promise<any> {
  const r = await request(`${j.adminUrl}/api/v1/status`);
  return r.body.json();
}

/** Sends GET `path` through Junction one after another until stopped; counts what was not a 200. */
function backgroundLoad(path: string): { readonly sent: number; readonly failures: number; stop(): Promise<void> } {
  let stop = false;
  let sent = 0;
  let failures = 0;
  const loop = (async () => {
    while (!stop) {
      const r = await get(`${j.url}${path}`).catch(() => undefined);
      sent++;
      if (r?.status !== 200) failures++;
    }
  })();
  return {
    get sent() {
      return sent;
    },
    get failures() {
      return failures;
    },
    stop: async () => {
      stop = true;
      await loop;
    },
  };
}

/** Resolves once `n` more requests of `load` have been answered. */
function moreRequests(load: { readonly sent: number }, n: number, what: string): Promise<unknown> {
  const from = load.sent;
  return waitFor(`${n} requests ${what}`, () => load.sent >= from + n, 10_000, 2);
}

before(async () => {
  etcd = await startEtcd({ name: 'junction-it' });
  relay = await startTcpProxy(Number(new URL(etcd.endpoint).port));
  client = new Etcd3({ hosts: etcd.endpoint });
  v1 = await startUpstream('v1');
  v2 = await startUpstream('v2');
  await put('backends/v1', { servers: [{ id: 'a', url: v1.url }] });
  await put('backends/v2', { servers: [{ id: 'b', url: v2.url }] });
  await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v1' });
  // Junction talks to etcd through a relay the tests can partition.
  j = await startTestJunction({ etcd: [relay.url] });
});

after(async () => {
  await j?.stop();
  client?.close();
  await relay?.close();
  await etcd?.cleanup();
  await v1?.close();
  await v2?.close();
});

test('the configuration read at start serves, and the instance status key is written under a lease', async () => {
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v1');
  const key = await waitFor('status key', () => client.get(`/junction/status/test-${process.pid}`).string());
  const doc = JSON.parse(key);
  assert.equal(doc.instance, `test-${process.pid}`);
  assert.ok(doc.revision > 0);
  assert.deepEqual(doc.errors, []);
  const lease = await client.get(`/junction/status/test-${process.pid}`).exec();
  assert.notEqual(String(lease.kvs[0]?.lease ?? '0'), '0', 'written under a lease');
});

test('a route change in etcd applies', async () => {
  const rev = await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v2' });
  await j.applied(rev);
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v2');
  assert.equal((await status()).revision, rev);
});

test('a transaction of several keys applies whole: no request ever sees half of it', async () => {
  // Each round moves /tx/ to a backend created in the same transaction and deletes the previous one.
  let failures = 0;
  let requests = 0;
  let stop = false;
  await put('backends/tx-0', { servers: [{ id: 'a', url: v1.url }] });
  await j.applied(await put('routes/tx', { match: { pathPrefix: '/tx/' }, backend: 'tx-0' }));
  const load = (async () => {
    while (!stop) {
      const r = await get(`${j.url}/tx/x`);
      requests++;
      if (r.status !== 200) failures++;
    }
  })();
  let rev = 0;
  for (let i = 1; i <= 15; i++) {
    const res = await client
      .if(`/junction/routes/tx`, 'Version', '>', 0)
      .then(
        client.put(`/junction/backends/tx-${i}`).value(JSON.stringify({ servers: [{ id: 'a', url: i % 2 ? v2.url : v1.url }] })),
        client.put(`/junction/routes/tx`).value(JSON.stringify({ match: { pathPrefix: '/tx/' }, backend: `tx-${i}` })),
        client.delete().key(`/junction/backends/tx-${i - 1}`),
      )
      .commit();
    rev = Number(res.header.revision);
    // every revision is applied and served before the next one: requests see each state there is
    await j.applied(rev);
    const served = requests;
    await waitFor(`requests served at revision ${rev}`, () => requests >= served + 2, 5000, 1);
  }
  stop = true;
  await load;
  assert.ok(requests > 20, `enough traffic (${requests})`);
  assert.equal(failures, 0, `${failures} of ${requests} requests failed`);
  const snap = j.snapshot();
  assert.equal(snap?.routes.get('tx')?.spec.backend, 'tx-15');
  assert.deepEqual([...(snap?.backends.keys() ?? [])].filter((b) => b.startsWith('tx-')), ['tx-15']);
  assert.deepEqual(snap?.issues, []);
});

test('a non-JSON value and a schema-invalid value are rejected by key and field; the last good version serves', async () => {
  const good = await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v1' });
  await j.applied(good);
  const broken = await put('routes/api', '{"match": {"pathPrefix": "/api/"}, "backend": ');
  await j.applied(broken);
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v1');
  let s = await status();
  assert.deepEqual(
    s.errors.map((e: any) => [e.key, e.code]),
    [['/junction/routes/api', 'invalid_json']],
  );
  const invalid = await put('routes/api', { match: { pathPrefix: 'api' }, backend: 'v2' });
  await j.applied(invalid);
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v1', 'still the last good version');
  s = await status();
  assert.deepEqual(
    s.errors.map((e: any) => [e.key, e.field, e.code]),
    [['/junction/routes/api', 'match.pathPrefix', 'invalid_value']],
  );
  const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /junction_config_errors 1/);
  assert.match(metrics, /junction_config_reloads_total\{outcome="rejected"\} [1-9]/);
  const statusKey = await waitFor('status key with the error', async () => {
    const doc = JSON.parse((await client.get(`/junction/status/test-${process.pid}`).string()) ?? '{}');
    // the key is rewritten at most every 250 ms: wait for this error, not the invalid JSON before it
    return doc.errors?.length === 1 && doc.errors[0].field === 'match.pathPrefix' ? doc : undefined;
  });
  assert.equal(statusKey.errors[0].key, '/junction/routes/api');
  assert.equal(statusKey.errors[0].field, 'match.pathPrefix');
  await j.applied(await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v1' }));
  assert.deepEqual((await status()).errors, []);
});

test('etcd unreachable: requests keep succeeding, staleness is reported; back: watched changes apply', async () => {
  relay.cut();
  const load = backgroundLoad('/api/x');
  let s: any;
  try {
    // at least a second of it, so the gauge below has something to show
    s = await waitFor('staleness to be reported', async () => {
      const doc = await status();
      return doc.store.connected === false && doc.store.stalenessSeconds >= 1 ? doc : undefined;
    });
    await moreRequests(load, 20, 'while Junction knows etcd is unreachable');
  } finally {
    await load.stop();
  }
  assert.equal(load.failures, 0, `${load.failures} of ${load.sent} requests failed`);
  assert.equal(s.store.stale, true);
  const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /junction_config_staleness_seconds [1-9]/);
  // a change written while Junction cannot see etcd...
  const rev = await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v2' });
  relay.heal();
  // ...applies once it can again.
  await j.applied(rev);
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v2');
  await waitFor('reconnected', async () => (await status()).store.connected === true);
});

test('etcd killed: requests keep succeeding; restarted: new changes apply', async () => {
  await etcd.kill();
  const load = backgroundLoad('/api/x');
  try {
    await waitFor('the outage to be noticed', async () => (await status()).store.connected === false, 15_000);
    await moreRequests(load, 20, 'while Junction knows etcd is gone');
  } finally {
    await load.stop();
  }
  assert.equal(load.failures, 0, `${load.failures} of ${load.sent} requests failed`);
  await etcd.start();
  const rev = await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v1' });
  await j.applied(rev);
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v1');
});

test('compaction past the watcher revision: Junction reloads the whole prefix and loses nothing', async () => {
  await j.applied(await put('routes/doomed', { match: { path: '/doomed' }, backend: 'v1' }));
  assert.equal((await get(`${j.url}/doomed`)).status, 200);
  relay.cut();
  // the changes below must happen while Junction cannot watch them
  await waitFor('Junction to notice the partition', async () => (await status()).store.connected === false, 15_000);
  await client.delete().key('/junction/routes/doomed').exec();
  await put('routes/fresh', { match: { path: '/fresh' }, backend: 'v2' });
  const last = await put('routes/api', { match: { pathPrefix: '/api/' }, backend: 'v2' });
  await etcdctl([etcd.endpoint], 'compact', String(last), '--physical');
  relay.heal();
  await j.applied(last);
  assert.equal((await get(`${j.url}/doomed`)).status, 404, 'the delete made during the outage applied');
  assert.equal((await get(`${j.url}/fresh`)).json().upstream, 'v2');
  assert.equal((await get(`${j.url}/api/x`)).json().upstream, 'v2');
});
