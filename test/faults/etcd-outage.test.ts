import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { etcdctl, startEtcd, type EtcdProcess } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { describeLoad, startLoad } from '../support/load.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

// etcd going away under load: Junction keeps serving its last snapshot with zero failed requests,
// and catches up when etcd is back — by resuming the watch, or by reloading the whole prefix when
// the revision it watched from was compacted meanwhile.

let etcd: EtcdProcess;
let relay: TcpProxy;
let client: Etcd3;
let j: TestJunction;
let v1: TestUpstream;
let v2: TestUpstream;

const put = async (key: string, value: unknown) =>
  Number((await client.put(`/junction/${key}`).value(JSON.stringify(value)).exec()).header.revision);

/** waits (longer than j.applied does) for a revision, returning how long it took */
async function appliedWithin(revision: number, ms = 20_000): Promise<number> {
  const start = Date.now();
  await waitFor(`revision ${revision} applied`, () => (j.snapshot()?.revision ?? 0) >= revision, ms, 10);
  return Date.now() - start;
}

before(async () => {
  etcd = await startEtcd({ name: 'junction-faults' });
  relay = await startTcpProxy(Number(new URL(etcd.endpoint).port));
  client = new Etcd3({ hosts: etcd.endpoint });
  v1 = await startUpstream('v1');
  v2 = await startUpstream('v2', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'v2' });
    res.end(JSON.stringify({ upstream: 'v2', url: req.url }));
  });
  await put('backends/v1', { servers: [{ id: 'a', url: v1.url }] });
  await put('backends/v2', { servers: [{ id: 'b', url: v2.url }] });
  await put('routes/main', { match: { pathPrefix: '/main/' }, backend: 'v1' });
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

test('etcd killed for several seconds under load: zero failed requests; a change written after it returns applies', async (t) => {
  const load = startLoad({ url: j.url, path: (i) => `/main/${i}`, workers: 4, pauseMs: 1, durationMs: 60_000 });
  try {
    await waitFor('the load to be under way', () => load.progress().requests >= 50, 10_000, 5);
    const killedAt = Date.now();
    const before = load.progress().requests;
    await etcd.kill();
    // several seconds of outage as Junction itself measures it, with traffic all along
    const status = await waitFor('Junction to report 3 s of staleness', async () => {
      const st = (await (await fetch(`${j.adminUrl}/api/v1/status`)).json()) as { store: { connected: boolean; stalenessSeconds: number } };
      return st.store.connected === false && st.store.stalenessSeconds >= 3 ? st : undefined;
    }, 20_000, 50);
    await waitFor('200 requests during the outage', () => load.progress().requests >= before + 200, 10_000, 5);
    const during = load.progress();
    await etcd.start();
    const downMs = Date.now() - killedAt;
    const rev = await put('routes/main', { match: { pathPrefix: '/main/' }, backend: 'v2' });
    const tookMs = await appliedWithin(rev);
    assert.equal((await get(`${j.url}/main/x`)).headers['x-upstream'], 'v2', 'the change written after the outage serves');
    const atApply = load.progress();
    await waitFor('50 requests served by v2 after the change', () => (load.progress().upstreams['v2'] ?? 0) >= (atApply.upstreams['v2'] ?? 0) + 50, 10_000, 5);
    const result = await load.stop();
    t.diagnostic(`etcd down for ${downMs} ms; during the outage ${during.requests - before} requests, ${during.failed} failed; store connected=${status.store.connected}, staleness ${status.store.stalenessSeconds}s`);
    t.diagnostic(`the change written after etcd returned applied ${tookMs} ms after the put`);
    t.diagnostic(describeLoad(result));
    assert.equal(status.store.connected, false, 'the outage was noticed');
    assert.ok(during.requests - before >= 200, `load ran through the outage (${during.requests - before})`);
    assert.equal(result.failed, 0, `zero failed requests: ${describeLoad(result)}`);
  } finally {
    await load.stop();
  }
});

test('compaction past the watched revision while partitioned: a full reload, nothing lost', async (t) => {
  // twenty routes, then a partition during which five are deleted, five changed, five added
  let rev = 0;
  for (let i = 0; i < 20; i++) rev = await put(`routes/c-${i}`, { match: { path: `/c/${i}` }, backend: 'v1' });
  await appliedWithin(rev);
  const load = startLoad({ url: j.url, path: (i) => `/c/${10 + (i % 5)}`, workers: 2, pauseMs: 2, durationMs: 40_000 });
  try {
    relay.cut();
    // the changes below must happen while Junction cannot watch them
    await waitFor('Junction to notice the partition', async () => {
      const st = (await (await fetch(`${j.adminUrl}/api/v1/status`)).json()) as { store: { connected: boolean } };
      return st.store.connected === false;
    }, 15_000, 20);
    for (let i = 0; i < 5; i++) await client.delete().key(`/junction/routes/c-${i}`).exec();
    for (let i = 5; i < 10; i++) await put(`routes/c-${i}`, { match: { path: `/c/${i}` }, backend: 'v2' });
    for (let i = 20; i < 25; i++) await put(`routes/c-${i}`, { match: { path: `/c/${i}` }, backend: 'v2' });
    const last = await put('backends/v2', { servers: [{ id: 'b', url: v2.url, weight: 2 }] });
    await etcdctl([etcd.endpoint], 'compact', String(last), '--physical');
    const healedAt = Date.now();
    relay.heal();
    const tookMs = await appliedWithin(last);
    t.diagnostic(`caught up ${tookMs} ms after the partition healed (compacted at ${last})`);

    // Junction's routes are exactly etcd's
    const inEtcd = await client.getAll().prefix('/junction/routes/').strings();
    const stored = Object.fromEntries(Object.entries(inEtcd).map(([k, v]) => [k.slice('/junction/routes/'.length), JSON.parse(v) as unknown]));
    const snap = j.snapshot();
    assert.ok(snap);
    assert.deepEqual([...snap.routes.keys()].sort(), Object.keys(stored).sort(), 'the same routes as etcd');
    for (const [id, route] of snap.routes) assert.deepEqual(route.spec, stored[id], `routes/${id} is etcd's version`);
    assert.equal(snap.backends.get('v2')?.servers[0]?.weight, 2);
    assert.deepEqual(snap.issues, []);
    for (let i = 0; i < 5; i++) assert.equal((await get(`${j.url}/c/${i}`)).status, 404, `the delete of c-${i} made during the partition applied`);
    for (let i = 5; i < 10; i++) assert.equal((await get(`${j.url}/c/${i}`)).headers['x-upstream'], 'v2', `c-${i} changed`);
    for (let i = 20; i < 25; i++) assert.equal((await get(`${j.url}/c/${i}`)).headers['x-upstream'], 'v2', `c-${i} added`);

    // and the watch goes on after the reload
    const next = await put('routes/c-99', { match: { path: '/c/99' }, backend: 'v1' });
    await appliedWithin(next);
    assert.equal((await get(`${j.url}/c/99`)).status, 200);
    const result = await load.stop();
    t.diagnostic(`${Date.now() - healedAt} ms from heal to the post-reload change; ${describeLoad(result)}`);
    assert.equal(result.failed, 0, `unchanged routes kept serving: ${describeLoad(result)}`);
  } finally {
    relay.heal();
    await load.stop();
  }
});
