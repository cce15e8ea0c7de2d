import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { startEtcd, type EtcdProcess } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { describeLoad, startLoad } from '../support/load.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

// 1,000 configuration changes written to etcd while traffic flows: the served route flips between
// two backends, a server joins and leaves its backend, unrelated routes come and go. Every request
// must succeed: swaps never drop a request, a pool or a route that is serving.

const CHANGES = 1000;

let etcd: EtcdProcess;
let client: Etcd3;
let j: TestJunction;
const ups: TestUpstream[] = [];

function upstream(name: string): Promise<TestUpstream> {
  return startUpstream(name, (_req, res) => {
    res.writeHead(200, { 'x-upstream': name });
    res.end(name);
  });
}

before(async () => {
  etcd = await startEtcd({ name: 'junction-churn' });
  client = new Etcd3({ hosts: etcd.endpoint });
  ups.push(...(await Promise.all(['b1', 'b2', 'extra'].map(upstream))));
  const [b1, b2] = ups;
  await client.put('/junction/backends/b1').value(JSON.stringify({ servers: [{ id: 's1', url: b1!.url }] })).exec();
  await client.put('/junction/backends/b2').value(JSON.stringify({ servers: [{ id: 's1', url: b2!.url }] })).exec();
  await client.put('/junction/routes/main').value(JSON.stringify({ match: { pathPrefix: '/main/' }, backend: 'b1' })).exec();
  j = await startTestJunction({ etcd: [etcd.endpoint] });
});

after(async () => {
  await j?.stop();
  client?.close();
  await etcd?.cleanup();
  for (const u of ups) await u.close();
});

test(`${CHANGES} configuration changes under load: zero failed requests`, async (t) => {
  const extra = ups[2] as TestUpstream;
  // 8 loops: the churn applies in ~1.5 s now, and the load must be heavy across all of it
  const load = startLoad({ url: j.url, path: (i) => `/main/${i}`, workers: 8, pauseMs: 1, durationMs: 120_000 });
  const started = Date.now();
  let lastRevision = 0;
  let lastMain = 'b1';
  const done = { flips: 0, serverChanges: 0, routePuts: 0, routeDeletes: 0 };
  const track = (rev: unknown) => {
    lastRevision = Math.max(lastRevision, Number(rev));
  };
  try {
    // four writers, each owning its keys, so the final state is known
    const lanes = [
      async () => {
        // the served route flips between b1 and b2
        for (let i = 0; i < CHANGES / 4; i++) {
          lastMain = i % 2 === 0 ? 'b2' : 'b1';
          track((await client.put('/junction/routes/main').value(JSON.stringify({ match: { pathPrefix: '/main/' }, backend: lastMain })).exec()).header.revision);
          done.flips++;
        }
      },
      async () => {
        // a server joins b1 and leaves it again, with changing weights
        for (let i = 0; i < CHANGES / 4; i++) {
          const res =
            i % 2 === 0
              ? await client.put('/junction/servers/b1/s2').value(JSON.stringify({ url: extra.url, weight: 1 + (i % 5) })).exec()
              : await client.delete().key('/junction/servers/b1/s2').exec();
          track(res.header.revision);
          done.serverChanges++;
        }
      },
      async () => {
        // unrelated routes are added
        for (let i = 0; i < CHANGES / 4; i++) {
          track((await client.put(`/junction/routes/extra-${i % 50}`).value(JSON.stringify({ match: { pathPrefix: `/extra/${i}/` }, backend: i % 2 ? 'b1' : 'b2' })).exec()).header.revision);
          done.routePuts++;
        }
      },
      async () => {
        // and others removed (each delete of an existing key is a revision; re-create first when needed)
        for (let i = 0; i < CHANGES / 8; i++) {
          track((await client.put(`/junction/routes/gone-${i % 20}`).value(JSON.stringify({ match: { path: `/gone/${i}` }, backend: 'b2' })).exec()).header.revision);
          track((await client.delete().key(`/junction/routes/gone-${i % 20}`).exec()).header.revision);
          done.routeDeletes++;
        }
      },
    ];
    await Promise.all(lanes.map((lane) => lane()));
    const writtenMs = Date.now() - started;
    await waitFor(`revision ${lastRevision} applied`, () => (j.snapshot()?.revision ?? 0) >= lastRevision, 20_000, 10);
    const appliedMs = Date.now() - started;
    // traffic goes on on the final snapshot before the load stops (8 loops: at most 8 started before it)
    const atApply = load.progress().requests;
    await waitFor('50 requests after the last revision applied', () => load.progress().requests >= atApply + 50, 10_000, 5);
    const result = await load.stop();

    const snap = j.snapshot();
    assert.ok(snap);
    assert.equal(snap.routes.get('main')?.spec.backend, lastMain, 'the last flip serves');
    assert.equal((await get(`${j.url}/main/x`)).headers['x-upstream'], lastMain);
    assert.equal(snap.backends.get('b1')?.servers.length, 1, 'the joining server left again (the last change was a delete)');
    assert.deepEqual([...snap.routes.keys()].filter((id) => id.startsWith('gone-')), [], 'the removed routes are gone');
    assert.equal([...snap.routes.keys()].filter((id) => id.startsWith('extra-')).length, 50);
    assert.deepEqual(snap.issues, []);
    const changes = done.flips + done.serverChanges + done.routePuts + done.routeDeletes * 2;
    t.diagnostic(
      `${changes} changes (${done.flips} flips, ${done.serverChanges} server joins/leaves, ${done.routePuts} route puts, ${done.routeDeletes} route create+delete) written in ${writtenMs} ms, all applied ${appliedMs - writtenMs} ms after the last write (revision ${lastRevision})`,
    );
    t.diagnostic(describeLoad(result));
    assert.ok(changes >= CHANGES, `${changes} changes`);
    assert.ok(result.requests > 500, `traffic flowed throughout (${result.requests})`);
    for (const u of ['b1', 'b2', 'extra']) assert.ok((result.upstreams[u] ?? 0) > 0, `${u} served during the churn`);
    assert.equal(result.failed, 0, `zero failed requests: ${describeLoad(result)}`);
    assert.ok((result.upstreams['b1'] ?? 0) > 0 && (result.upstreams['b2'] ?? 0) > 0 && (result.upstreams['extra'] ?? 0) > 0, 'every backend and the joining server served');
  } finally {
    await load.stop();
  }
});
