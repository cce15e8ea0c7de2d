import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loaded, observe, REQUESTS, withHarness } from './graph-harness.js';

const be = (port: number, extra: object = {}) => ({ servers: [{ id: 's1', url: `http://127.0.0.1:${port}` }, { id: 's2', url: `http://127.0.0.2:${port}` }], ...extra });
const base: Array<[string, unknown]> = [
  ['backends/a', be(1)],
  ['backends/b', be(2)],
  ['servers/b/k1', { url: 'http://127.0.0.1:3' }],
  ['filters/f', { type: 't', config: {} }],
  ['routes/ra', { match: { host: 'h.test', pathPrefix: '/a/' }, backend: 'a' }],
  ['routes/rb', { match: { host: 'h.test', pathPrefix: '/b/' }, backend: 'b' }],
  ['routes/rf', { match: { pathPrefix: '/f/' }, backend: 'a', filters: ['f'] }],
  ['routes/rs', { match: { pathPrefix: '/s/' }, split: [{ backend: 'a', weight: 90 }, { backend: 'b', weight: 10 }], guard: { maxErrorRate: 0.5, minRequests: 10, windowMs: 1000 } }],
  ['routes/rt', { match: { pathPrefix: '/t/' }, backend: 'a', tee: [{ backend: 'b', percent: 10 }] }],
];

test('an unrelated change keeps every route and backend runtime, and the router answers as before', () =>
  withHarness(async (h) => {
    assert.deepEqual((await h.apply(...base)).built.graph.snapshot.issues, [], 'the base configuration is valid');
    const { built, before } = await h.apply(['routes/rc', { match: { host: 'h.test', pathPrefix: '/c/' }, backend: 'b' }]);
    for (const id of ['ra', 'rb', 'rf', 'rs']) assert.equal(built.graph.routes.get(id), before?.routes.get(id), `route ${id} reused`);
    assert.notEqual(built.graph.routes.get('rt'), before?.routes.get('rt'), 'routes with tees are always rebuilt');
    for (const id of ['a', 'b']) assert.equal(built.graph.backends.get(id), before?.backends.get(id), `backend ${id} reused`);
    assert.deepEqual(built.rebuilt, { backends: 0, routes: 2 });
    assert.equal(built.graph.router.match(REQUESTS[2]!)?.value.id, 'rc');
  }));

test('a backend change reaches exactly the routes that use it', () =>
  withHarness(async (h) => {
    await h.apply(...base);
    const { built, before } = await h.apply(['servers/b/k1', { url: 'http://127.0.0.1:3', weight: 7 }]);
    assert.notEqual(built.graph.backends.get('b'), before?.backends.get('b'));
    assert.equal(built.graph.backends.get('a'), before?.backends.get('a'));
    for (const id of ['rb', 'rs']) {
      assert.notEqual(built.graph.routes.get(id), before?.routes.get(id), `${id} uses b: rebuilt`);
      assert.equal(built.graph.routes.get(id)?.targets.get('b')?.backend.servers.find((s) => s.id === 'k1')?.weight, 7);
    }
    for (const id of ['ra', 'rf']) assert.equal(built.graph.routes.get(id), before?.routes.get(id), `${id} does not use b: reused`);
    assert.equal(built.graph.router.match(REQUESTS[1]!)?.value, built.graph.routes.get('rb'), 'the router hands out the new runtime');
    assert.equal(before?.router.match(REQUESTS[1]!)?.value, before?.routes.get('rb'), 'the previous graph still hands out its own');
  }));

test('deleting a backend a route still uses retains its runtime as it was', () =>
  withHarness(async (h) => {
    await h.apply(...base);
    const { built, before } = await h.apply(['backends/a']);
    assert.equal(built.graph.backends.get('a'), before?.backends.get('a'), 'retained: the same runtime, pools and health');
    assert.equal(built.graph.routes.get('ra'), before?.routes.get('ra'));
    assert.ok(built.graph.snapshot.issues.some((i) => i.code === 'retained' && i.key === '/junction/backends/a'));
    const after = (await h.apply(['routes/ra'], ['routes/rf'], ['routes/rs'], ['routes/rt'])).built;
    assert.equal(after.graph.backends.has('a'), false, 'released with its last reference');
    assert.equal(after.graph.router.match(REQUESTS[0]!), undefined);
  }));

test('a reloaded filter module rebuilds the routes that use it, and only those', () =>
  withHarness(async (h) => {
    await h.apply(...base);
    const before = (await h.rebuild()).built.graph;
    h.modules.current = loaded('v2');
    const { built } = await h.rebuild();
    assert.notEqual(built.graph.routes.get('rf'), before.routes.get('rf'));
    assert.notEqual(built.graph.routes.get('rf')?.chain?.links[0]?.instance, before.routes.get('rf')?.chain?.links[0]?.instance, 'a new instance of the new version');
    assert.equal(built.graph.routes.get('ra'), before.routes.get('ra'));
  }));

test('a build releases exactly what no part holds any more', () =>
  withHarness(async (h) => {
    await h.apply(...base);
    const start = await observe(h.main);
    const made = h.main.pools.size;
    // a one-route change (and the tee route, always rebuilt) hands its resources over to the new parts
    await h.apply(['routes/ra', { match: { host: 'h.test', pathPrefix: '/a/', methods: ['GET'] }, backend: 'a' }]);
    assert.deepEqual(await observe(h.main), start, 'nothing closed, removed or made');
    assert.equal(h.main.pools.size, made, 'no pool made anew');
    // a route goes: its series go, nothing else
    await h.apply(['routes/rb']);
    assert.deepEqual(await observe(h.main), { ...start, series: start.series.filter((x) => x !== 'rb b'), requests: start.requests.filter((x) => x !== 'rb b 200') });
    // a server moves: its old pool is closed and its health state released, nothing else
    const { before } = await h.apply(['backends/a', { servers: [{ id: 's1', url: 'http://127.0.0.1:1' }, { id: 's2', url: 'http://127.0.0.2:9' }] }]);
    const server = (id: string) => before?.backends.get('a')?.servers.find((s) => s.id === id);
    assert.equal(server('s2')?.upstream.closed, true, "s2's old pool is closed");
    assert.equal(server('s2')?.upstream.pool.closed, true);
    assert.equal(server('s1')?.upstream.closed, false, "s1's pool stays open");
    const moved = await observe(h.main);
    assert.deepEqual(moved.health.filter((x) => x.startsWith('a s2')), ['a s2 http://127.0.0.2:9']);
    assert.deepEqual([moved.healthGauges, moved.breakerGauges], [start.healthGauges, start.breakerGauges], "s2's health series stay: its state under the new URL writes them");
    assert.deepEqual(moved.pools.filter((x) => x.startsWith('http://127.0.0.2')), ['http://127.0.0.2:2', 'http://127.0.0.2:9']);
    assert.deepEqual([moved.series, moved.guards, moved.guardGauges, moved.tees, moved.filters], [start.series.filter((x) => x !== 'rb b'), start.guards, start.guardGauges, start.tees, start.filters]);
    // the filter's last user goes: its instance is closed
    const instance = before?.routes.get('rf')?.chain?.links[0]?.instance;
    assert.ok(instance !== undefined && h.main.openFilters.has(instance));
    await h.apply(['routes/rf']);
    assert.equal((await observe(h.main)).filters, 0);
    assert.equal(h.main.openFilters.has(instance), false, "the instance's close() was called");
  }));

test('random changes: every incremental graph equals a full build of the same snapshot and keeps alive just what it holds', () =>
  withHarness(async (h) => {
    await h.apply(...base);
    let seed = 11;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const backends = ['a', 'b', 'c'];
    for (let i = 0; i < 120; i++) {
      const roll = r();
      const b = pick(backends);
      const route = pick(['ra', 'rb', 'rc', 'rf', 'rs', 'rt']);
      const paths = ['/a/', '/b/', '/c/', '/f/', '/s/', '/t/'];
      if (roll < 0.3) await h.apply([`routes/${route}`, { match: { pathPrefix: pick(paths), ...(r() < 0.5 ? { host: 'h.test' } : {}) }, ...(r() < 0.2 ? { split: [{ backend: b, weight: 1 }, { backend: pick(backends), weight: 1 }].filter((x, k, xs) => xs.findIndex((y) => y.backend === x.backend) === k) } : { backend: b }), ...(r() < 0.2 ? { filters: ['f'] } : {}), ...(r() < 0.1 ? { tee: [{ backend: pick(backends) }] } : {}) }]);
      else if (roll < 0.45) await h.apply([`backends/${b}`, be(1 + Math.floor(r() * 3), r() < 0.3 ? { balancer: 'least-request', maxConnectionsPerServer: 4 } : {})]);
      else if (roll < 0.6) await h.apply([`servers/${b}/k${Math.floor(r() * 2)}`, { url: `http://127.0.0.1:${1 + Math.floor(r() * 3)}`, ...(r() < 0.3 ? { state: pick(['draining', 'disabled']) } : {}) }]);
      else if (roll < 0.7) await h.apply([`routes/${route}`]);
      else if (roll < 0.8) await h.apply([`backends/${b}`]);
      else if (roll < 0.9) await h.apply([`servers/${b}/k${Math.floor(r() * 2)}`]);
      else if (roll < 0.95) await h.apply(['filters/f', { type: 't', config: { n: i } }]);
      else {
        h.modules.current = loaded(`v${i}`);
        await h.rebuild();
      }
    }
  }));
