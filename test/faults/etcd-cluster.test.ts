import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctl, startEtcdCluster, type EtcdCluster, type EtcdProcess } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { describeLoad, startLoad } from '../support/load.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';


// A 3-member etcd cluster on loopback, Junction given every endpoint. The leader is killed, then
// each other member in turn (each rejoins before the next kill): configuration changes keep
// applying through the remaining members, and traffic never notices.

let cluster: EtcdCluster;
let j: TestJunction;
let v1: TestUpstream;
let v2: TestUpstream;

/** Writes through the members still up (etcdctl fails over between endpoints); returns the revision. */
async function put(live: readonly EtcdProcess[], key: string, value: unknown): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await etcdctl(live.map((m) => m.endpoint), '--command-timeout=3s', 'put', `/junction/${key}`, JSON.stringify(value));
      // the key's own mod_revision: the store's revision may already be past it (instances
      // rewrite their status keys, which is not a configuration change Junction "applies")
      const out = await etcdctl(live.map((m) => m.endpoint), '--command-timeout=3s', 'get', `/junction/${key}`, '-w', 'json');
      const kv = (JSON.parse(out) as { kvs?: Array<{ mod_revision: number | string; value: string }> }).kvs?.[0];
      if (kv === undefined || Buffer.from(kv.value, 'base64').toString() !== JSON.stringify(value)) throw new Error(`${key}: not the value just written`);
      return Number(kv.mod_revision);
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200)); // no quorum yet (an election is running)
    }
  }
}

async function appliedWithin(revision: number, ms = 20_000): Promise<number> {
  const start = Date.now();
  try {
    await waitFor(`revision ${revision} applied`, () => (j.snapshot()?.revision ?? 0) >= revision, ms, 10);
  } catch (err) {
    const status = (await (await fetch(`${j.adminUrl}/api/v1/status`)).json()) as { revision: number; store: unknown };
    const members = await Promise.all(
      cluster.members.map(async (m) => `${m.name} ${await etcdctl([m.endpoint], 'endpoint', 'status').then((o) => o.trim(), () => 'down')}`),
    );
    throw new Error(`${(err as Error).message}; Junction at revision ${status.revision}, store ${JSON.stringify(status.store)}; members: ${members.join(' | ')}`, { cause: err });
  }
  return Date.now() - start;
}

function upstream(name: string): Promise<TestUpstream> {
  return startUpstream(name, (_req, res) => {
    res.writeHead(200, { 'x-upstream': name });
    res.end(name);
  });
}

before(async () => {
  cluster = await startEtcdCluster(3);
  v1 = await upstream('v1');
  v2 = await upstream('v2');
  await put(cluster.members, 'backends/v1', { servers: [{ id: 'a', url: v1.url }] });
  await put(cluster.members, 'backends/v2', { servers: [{ id: 'b', url: v2.url }] });
  await put(cluster.members, 'routes/main', { match: { pathPrefix: '/' }, backend: 'v1' });
  j = await startTestJunction({ etcd: cluster.endpoints });
});

after(async () => {
  await j?.stop();
  await cluster?.cleanup();
  await v1?.close();
  await v2?.close();
});

test('the leader killed, then every other member in turn: configuration changes keep applying through the remaining members, with zero failed requests', async (t) => {
  // The leader goes first. Killing each member once (one at a time, restarting it in between)
  // also guarantees that the member Junction's watch is connected to dies at least once.
  const load = startLoad({ url: j.url, path: (i) => `/x/${i}`, workers: 4, pauseMs: 1, durationMs: 90_000 });
  const killed = new Set<EtcdProcess>();
  try {
    for (let round = 1; round <= cluster.members.length; round++) {
      const leader = await cluster.leader();
      const victim = killed.has(leader) ? (cluster.members.find((m) => !killed.has(m)) as EtcdProcess) : leader;
      killed.add(victim);
      const killedAt = Date.now();
      await victim.kill();
      const live = cluster.members.filter((m) => m !== victim);
      const timings: number[] = [];
      for (let i = 0; i < 4; i++) {
        const target = i % 2 === 0 ? 'v2' : 'v1';
        const putAt = Date.now();
        const rev = await put(live, 'routes/main', { match: { pathPrefix: '/' }, backend: target, priority: round * 10 + i });
        await appliedWithin(rev);
        timings.push(Date.now() - putAt);
        assert.equal((await get(`${j.url}/x`)).headers['x-upstream'], target, `round ${round}, change ${i}: applied and serving`);
      }
      t.diagnostic(
        `round ${round}: killed ${victim === leader ? 'the leader' : 'a follower'} ${victim.name}; 4 changes written and applied in ${Date.now() - killedAt} ms after the kill (put-to-applied ${timings.join(', ')} ms, first one includes waiting for a quorum)`,
      );
      await victim.start(); // it rejoins as a follower before the next round
      await cluster.leader();
    }
    const result = await load.stop();
    t.diagnostic(describeLoad(result));
    assert.ok(result.requests > 200, `traffic ran throughout (${result.requests})`);
    assert.equal(result.failed, 0, `zero failed requests: ${describeLoad(result)}`);
  } finally {
    await load.stop();
  }
});
