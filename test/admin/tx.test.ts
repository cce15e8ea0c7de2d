/**
 * `POST /api/v1/tx`: ops validated together against the state after all of them, written in one
 * store transaction (one etcd txn / one embedded revision) — on both stores. A transaction is
 * never seen half-applied: not by the proxy's traffic, not in any applied snapshot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigSnapshot } from '../../src/config/snapshot.js';
import { get } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { api, onBothStores } from './api-support.js';

onBothStores('POST /api/v1/tx', (j, kind) => {
  let blue: TestUpstream;
  let green: TestUpstream;
  before(async () => {
    blue = await startUpstream('blue');
    green = await startUpstream('green');
  });
  after(async () => {
    await blue.close();
    await green.close();
  });
  const tx = (body: unknown, query = '') => api(j().adminUrl, 'POST', `/api/v1/tx${query}`, body);

  test('a route and the backend it needs arrive in one transaction, at one revision', async () => {
    const r = await tx({
      ops: [
        { op: 'put', key: 'routes/tx-app', value: { match: { pathPrefix: '/tx/' }, backend: 'tx-app' } },
        { op: 'put', key: 'backends/tx-app', value: { servers: [{ id: 'b', url: blue.url }] } },
      ],
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.ops.map((o: { key: string; created: boolean }) => [o.key, o.created]), [['routes/tx-app', true], ['backends/tx-app', true]]);
    const route = await j().store.get('/junction/routes/tx-app');
    const backend = await j().store.get('/junction/backends/tx-app');
    assert.equal(route?.modRevision, r.body.revision);
    assert.equal(backend?.modRevision, r.body.revision);
    await j().applied(r.body.revision);
    assert.equal((await get(`${j().url}/tx/1`)).json().upstream, 'blue');
  });

  test('errors name the op and the field; a bad op fails the whole transaction', async () => {
    const r = await tx({
      ops: [
        { op: 'put', key: 'backends/tx-half', value: { servers: [{ id: 'b', url: blue.url }] } },
        { op: 'put', key: 'routes/tx-half', value: { match: { pathPrefix: 'x' }, backend: 'missing' } },
        { op: 'frob', key: 'routes/y' },
        { op: 'put', key: 'nowhere/z', value: {} },
        { op: 'delete', key: 'routes/never-was' },
        { op: 'put', key: 'routes/tx-half', value: {} },
        { op: 'put', key: 'routes/no-value' },
      ],
      extra: 1,
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_document');
    const f = r.body.errors.map((e: { field: string }) => e.field);
    for (const want of ['extra', 'ops[1].value.match.pathPrefix', 'ops[1].value.backend', 'ops[2].op', 'ops[3].key', 'ops[4].key', 'ops[5].key', 'ops[6].value']) {
      assert.ok(f.includes(want), `${want} in ${JSON.stringify(r.body.errors)}`);
    }
    assert.ok(!f.some((x: string) => x.startsWith('ops[0]')), 'the valid op has no error');
    assert.equal(await j().store.get('/junction/backends/tx-half'), undefined);
  });

  test('references resolve against the state after the ops: a backend a remaining route uses cannot be deleted', async () => {
    const refused = await tx({ ops: [{ op: 'delete', key: 'backends/tx-app' }] });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errors[0].field, 'ops[0].key');
    assert.match(refused.body.errors[0].message, /routes\/tx-app/);
    // moving the route away in the same transaction makes the delete fine
    const moved = await tx({
      ops: [
        { op: 'put', key: 'backends/tx-green', value: { servers: [{ id: 'g', url: green.url }] } },
        { op: 'put', key: 'routes/tx-app', value: { match: { pathPrefix: '/tx/' }, backend: 'tx-green' } },
        { op: 'delete', key: 'backends/tx-app' },
      ],
    });
    assert.equal(moved.status, 200, moved.text);
    await j().applied(moved.body.revision);
    assert.equal((await get(`${j().url}/tx/2`)).json().upstream, 'green');
  });

  test('ifMatch (per op or for the whole transaction) makes a stale transaction 412 and writes nothing', async () => {
    const cur = (await j().store.get('/junction/routes/tx-app'))!.modRevision;
    const stale = await tx({
      ops: [{ op: 'put', key: 'routes/tx-app', value: { match: { pathPrefix: '/tx/' }, backend: 'tx-green', priority: 1 }, ifMatch: cur - 1 }],
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error, 'precondition_failed');
    const staleAssert = await tx({
      ops: [{ op: 'put', key: 'backends/tx-other', value: { servers: [] } }],
      ifMatch: { 'routes/tx-app': `"${cur - 1}"` },
    });
    assert.equal(staleAssert.status, 412);
    assert.equal(await j().store.get('/junction/backends/tx-other'), undefined);
    const ok = await tx({ ops: [{ op: 'put', key: 'backends/tx-other', value: { servers: [] } }], ifMatch: { 'routes/tx-app': cur } });
    assert.equal(ok.status, 200, ok.text);
    const dry = await tx({ ops: [{ op: 'delete', key: 'backends/tx-other' }] }, '?dryRun=1');
    assert.equal(dry.status, 200);
    assert.equal(dry.body.dryRun, true);
    assert.notEqual(await j().store.get('/junction/backends/tx-other'), undefined);
  });

  test(`at most 128 ops (etcd's limit): 128 commit in one transaction, 129 are refused`, async () => {
    const servers = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ op: 'put', key: `servers/tx-app-pool/s${i}`, value: { url: `http://127.0.0.1:${10_000 + i}` } }));
    const tooMany = await tx({ ops: [{ op: 'put', key: 'backends/tx-app-pool', value: {} }, ...servers(128)] });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.errors[0].field, 'ops');
    assert.match(tooMany.body.errors[0].message, /128/);
    const full = await tx({ ops: [{ op: 'put', key: 'backends/tx-app-pool', value: {} }, ...servers(127)] });
    assert.equal(full.status, 200, full.text);
    const list = await api(j().adminUrl, 'GET', '/api/v1/backends/tx-app-pool/servers');
    assert.equal(Object.keys(list.body.items).length, 127);
  });

  test('no intermediate state is ever served while transactions flip a route between backends', async () => {
    // start from: route flip -> flip-blue
    const setup = await tx({
      ops: [
        { op: 'put', key: 'backends/flip-blue', value: { servers: [{ id: 'b', url: blue.url }] } },
        { op: 'put', key: 'routes/flip', value: { match: { pathPrefix: '/flip/' }, backend: 'flip-blue' } },
      ],
    });
    assert.equal(setup.status, 200, setup.text);
    await j().applied(setup.body.revision);

    const seen: ConfigSnapshot[] = [];
    const off = j().events.on((e) => {
      if (e.type === 'config.applied') seen.push(j().snapshot() as ConfigSnapshot);
    });
    let stop = false;
    const statuses = new Map<number, number>();
    let answered = 0;
    const traffic = (async () => {
      while (!stop) {
        const r = await get(`${j().url}/flip/x`);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        answered++;
      }
    })();
    const flip = (from: string, to: string, upstream: TestUpstream) =>
      tx({
        ops: [
          { op: 'put', key: `backends/flip-${to}`, value: { servers: [{ id: to, url: upstream.url }] } },
          { op: 'put', key: 'routes/flip', value: { match: { pathPrefix: '/flip/' }, backend: `flip-${to}` } },
          { op: 'delete', key: `backends/flip-${from}` },
        ],
      });
    let last = 0;
    for (let i = 0; i < 10; i++) {
      const r = i % 2 === 0 ? await flip('blue', 'green', green) : await flip('green', 'blue', blue);
      assert.equal(r.status, 200, r.text);
      last = r.body.revision;
      // each flip is applied and served before the next: the traffic meets every state there is
      await j().applied(last);
      const before = answered;
      await waitFor(`requests served at revision ${last}`, () => answered >= before + 2, 5000, 1);
    }
    stop = true;
    await traffic;
    off();
    assert.deepEqual([...statuses.keys()], [200], `every request answered 200: ${JSON.stringify([...statuses])}`);
    assert.ok(seen.length > 0);
    for (const snap of seen) {
      const route = snap.routes.get('flip');
      assert.ok(route, `route flip serves at revision ${snap.revision}`);
      assert.ok(snap.backends.has(route.spec.backend as string), `its backend exists at revision ${snap.revision}`);
      const flipIssues = snap.issues.filter((i) => i.key.includes('flip'));
      assert.deepEqual(flipIssues, [], `no retained or unresolved key at revision ${snap.revision} (${kind})`);
    }
  });
});
