import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { GuardRegistry } from '../../src/canary/guard-registry.js';
import { buildSnapshot } from '../../src/config/build-snapshot.js';
import { ConfigState } from '../../src/config/config-state.js';
import { createValidators } from '../../src/config/decode/validators.js';
import { SnapshotMemo } from '../../src/config/snapshot-memo.js';
import type { ConfigSnapshot, RouteConfig } from '../../src/config/snapshot.js';
import type { StoreEvent } from '../../src/config/store/types.js';
import type { FilterCatalog } from '../../src/filters/filter-catalog.js';
import { FilterInstances } from '../../src/filters/instance-registry.js';
import type { LoadedModule } from '../../src/filters/load-module.js';
import { HealthRegistry } from '../../src/health/health-registry.js';
import { JunctionEvents } from '../../src/observability/events.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { RouteSeriesCache, seriesKey } from '../../src/observability/route-series.js';
import { RetryBudgets } from '../../src/proxy/retry-budget.js';
import { buildGraph, type BuiltGraph, type GraphResources } from '../../src/runtime/build-graph.js';
import type { Graph } from '../../src/runtime/graph.js';
import { ResourceRegistry } from '../../src/runtime/resource-registry.js';
import { TeeRegistry } from '../../src/tee/tee-registry.js';

const P = '/junction';

function loaded(version: string): LoadedModule {
  return { type: 't', file: '/filters/t.js', version, validate: undefined, module: { type: 't', create: () => ({ onRequest: () => undefined }) } };
}

/**
 * Config revisions -> snapshots (with the memo, as the manager does) -> two graphs per snapshot:
 * one built from the previous build (the incremental path), one built from scratch. Both draw on
 * the same long-lived resources, so equal graphs hold the very same pools and health states.
 */
async function withHarness(body: (h: ReturnType<typeof harness>) => void): Promise<void> {
  const h = harness();
  try {
    body(h);
  } finally {
    h.res.health.close();
    await h.res.registry.close(true);
    await h.res.shadowRegistry.close(true);
    await h.res.chains.instances.closeAll();
  }
}

function harness() {
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics({ defaultMetrics: false });
  const events = new JunctionEvents();
  const modules = { current: loaded('v1') };
  const res: GraphResources = {
    registry: new ResourceRegistry(),
    shadowRegistry: new ResourceRegistry(),
    health: new HealthRegistry({ metrics, logger, events }),
    retryBudgets: new RetryBudgets(),
    tees: new TeeRegistry({ metrics }),
    series: new RouteSeriesCache(metrics),
    guards: new GuardRegistry({ metrics, logger, events }),
    metrics,
    chains: { modules: { get: (type) => (type === 't' ? modules.current : undefined) }, instances: new FilterInstances(logger, 0), budgetMs: 1000, onFailure: () => undefined, onCreateError: () => undefined },
  };
  const catalog: FilterCatalog = { types: () => new Set(['t']), retired: () => false, validate: (type) => (type === 't' ? [] : [{ field: 'type', message: 'unknown' }]) };
  const state = new ConfigState(P, createValidators());
  const memo = new SnapshotMemo();
  const active = new Map<string, RouteConfig>();
  let snap: ConfigSnapshot | undefined;
  let last: BuiltGraph | undefined;
  let rev = 0;
  const rebuild = (): { built: BuiltGraph; before: Graph | undefined } => {
    snap = buildSnapshot(state, snap, active, { prefix: P, filters: catalog, now: () => new Date(0), memo });
    const before = last?.graph;
    const built = buildGraph(snap, res, last);
    const full = buildGraph(snap, res);
    assert.deepEqual(project(built), project(full), `revision ${rev}: the incremental graph differs from a full build`);
    last = built;
    return { built, before };
  };
  const apply = (...ops: Array<[string, unknown] | [string]>) => {
    rev++;
    const evs: StoreEvent[] = ops.map(([k, v]) =>
      v === undefined
        ? { type: 'delete', key: `${P}/${k}`, modRevision: rev }
        : { type: 'put', key: `${P}/${k}`, value: JSON.stringify(v), modRevision: rev, createRevision: rev, version: 1 },
    );
    state.apply({ kind: 'changes', revision: rev, events: evs });
    return rebuild();
  };
  return { res, apply, rebuild, modules };
}

const REQUESTS = ['/a/1', '/b/1', '/c/1', '/t/1', '/f/1', '/s/1', '/x'].map((path) => ({ method: 'GET', host: 'h.test', path, headers: {} }));

/** Everything a request can observe of a graph, with the long-lived objects compared by identity. */
function project(b: BuiltGraph) {
  const g = b.graph;
  for (const [id, r] of g.routes) {
    assert.equal(r.config, g.snapshot.routes.get(id), `route ${id} runs the snapshot's config`);
    for (const [bid, t] of r.targets) assert.equal(t.backend, g.backends.get(bid), `route ${id} points at the graph's own runtime of backend ${bid}`);
  }
  for (const [id, be] of g.backends) assert.equal(be.config, g.snapshot.backends.get(id), `backend ${id} runs the snapshot's config`);
  const ids = <T>(xs: Iterable<T>) => [...xs].map(String).sort();
  return {
    routes: [...g.routes].map(([id, r]) => ({ id, targets: [...r.targets.keys()], tees: r.tees.length, chain: r.chain?.links.map((l) => l.id), instances: r.chain?.links.map((l) => l.instance) })),
    backends: [...g.backends].map(([id, be]) => ({ id, servers: be.servers.map((s) => ({ id: s.id, weight: s.weight, upstream: s.upstream, health: s.health })), balancer: be.config.balancer })),
    order: g.router.ordered.map((c) => c.id),
    wins: REQUESTS.map((q) => g.router.match(q)?.value.id),
    keys: { up: ids(b.upstreamKeys), series: ids(b.seriesKeys), guards: ids(b.guardKeys), shadow: ids(b.shadowKeys), tees: ids(b.teeKeys), filters: ids(b.filterKeys), health: ids(b.healthKeys), backends: ids(b.graph.backends.keys()) },
  };
}

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
  withHarness((h) => {
    assert.deepEqual(h.apply(...base).built.graph.snapshot.issues, [], 'the base configuration is valid');
    const { built, before } = h.apply(['routes/rc', { match: { host: 'h.test', pathPrefix: '/c/' }, backend: 'b' }]);
    for (const id of ['ra', 'rb', 'rf', 'rs']) assert.equal(built.graph.routes.get(id), before?.routes.get(id), `route ${id} reused`);
    assert.notEqual(built.graph.routes.get('rt'), before?.routes.get('rt'), 'routes with tees are always rebuilt');
    for (const id of ['a', 'b']) assert.equal(built.graph.backends.get(id), before?.backends.get(id), `backend ${id} reused`);
    assert.deepEqual(built.rebuilt, { backends: 0, routes: 2 });
    assert.equal(built.graph.router.match(REQUESTS[2]!)?.value.id, 'rc');
  }));

test('a backend change reaches exactly the routes that use it', () =>
  withHarness((h) => {
    h.apply(...base);
    const { built, before } = h.apply(['servers/b/k1', { url: 'http://127.0.0.1:3', weight: 7 }]);
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
  withHarness((h) => {
    h.apply(...base);
    const { built, before } = h.apply(['backends/a']);
    assert.equal(built.graph.backends.get('a'), before?.backends.get('a'), 'retained: the same runtime, pools and health');
    assert.equal(built.graph.routes.get('ra'), before?.routes.get('ra'));
    assert.ok(built.graph.snapshot.issues.some((i) => i.code === 'retained' && i.key === '/junction/backends/a'));
    const after = h.apply(['routes/ra'], ['routes/rf'], ['routes/rs'], ['routes/rt']).built;
    assert.equal(after.graph.backends.has('a'), false, 'released with its last reference');
    assert.equal(after.graph.router.match(REQUESTS[0]!), undefined);
  }));

test('a reloaded filter module rebuilds the routes that use it, and only those', () =>
  withHarness((h) => {
    h.apply(...base);
    const before = h.rebuild().built.graph;
    h.modules.current = loaded('v2');
    const { built } = h.rebuild();
    assert.notEqual(built.graph.routes.get('rf'), before.routes.get('rf'));
    assert.notEqual(built.graph.routes.get('rf')?.chain?.links[0]?.instance, before.routes.get('rf')?.chain?.links[0]?.instance, 'a new instance of the new version');
    assert.equal(built.graph.routes.get('ra'), before.routes.get('ra'));
  }));

test('a build releases exactly the keys no part holds any more', () =>
  withHarness((h) => {
    h.apply(...base);
    const none = { upstream: [], health: [], series: [], guard: [], tee: [], filter: [], backends: [] };
    // a one-route change (and the tee route, always rebuilt) hands its keys over to the new parts
    assert.deepEqual(h.apply(['routes/ra', { match: { host: 'h.test', pathPrefix: '/a/', methods: ['GET'] }, backend: 'a' }]).built.released, none);
    assert.deepEqual(h.apply(['routes/rb']).built.released, { ...none, series: [seriesKey('rb', 'b')] });
    // a server moves: its old pool and health state are released, nothing else
    const moved = h.apply(['backends/a', { servers: [{ id: 's1', url: 'http://127.0.0.1:1' }, { id: 's2', url: 'http://127.0.0.2:9' }] }]).built;
    assert.deepEqual(moved.released.health, [HealthRegistry.key('a', 's2', 'http://127.0.0.2:1')]);
    assert.equal(moved.released.upstream.length, 1);
    assert.equal(moved.upstreamKeys.has(moved.released.upstream[0]!), false);
    assert.deepEqual([moved.released.series, moved.released.guard, moved.released.filter, moved.released.backends], [[], [], [], []]);
    // the filter's last user goes: its instance is released
    assert.equal(h.apply(['routes/rf']).built.released.filter.length, 1);
  }));

test('random changes: every incremental graph equals a full build of the same snapshot', () =>
  withHarness((h) => {
    h.apply(...base);
    let seed = 11;
    const r = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const backends = ['a', 'b', 'c'];
    for (let i = 0; i < 120; i++) {
      const roll = r();
      const b = pick(backends);
      const route = pick(['ra', 'rb', 'rc', 'rf', 'rs', 'rt']);
      const paths = ['/a/', '/b/', '/c/', '/f/', '/s/', '/t/'];
      if (roll < 0.3) h.apply([`routes/${route}`, { match: { pathPrefix: pick(paths), ...(r() < 0.5 ? { host: 'h.test' } : {}) }, ...(r() < 0.2 ? { split: [{ backend: b, weight: 1 }, { backend: pick(backends), weight: 1 }].filter((x, k, xs) => xs.findIndex((y) => y.backend === x.backend) === k) } : { backend: b }), ...(r() < 0.2 ? { filters: ['f'] } : {}), ...(r() < 0.1 ? { tee: [{ backend: pick(backends) }] } : {}) }]);
      else if (roll < 0.45) h.apply([`backends/${b}`, be(1 + Math.floor(r() * 3), r() < 0.3 ? { balancer: 'least-request', maxConnectionsPerServer: 4 } : {})]);
      else if (roll < 0.6) h.apply([`servers/${b}/k${Math.floor(r() * 2)}`, { url: `http://127.0.0.1:${1 + Math.floor(r() * 3)}`, ...(r() < 0.3 ? { state: pick(['draining', 'disabled']) } : {}) }]);
      else if (roll < 0.7) h.apply([`routes/${route}`]);
      else if (roll < 0.8) h.apply([`backends/${b}`]);
      else if (roll < 0.9) h.apply([`servers/${b}/k${Math.floor(r() * 2)}`]);
      else if (roll < 0.95) h.apply(['filters/f', { type: 't', config: { n: i } }]);
      else {
        h.modules.current = loaded(`v${i}`);
        h.rebuild();
      }
    }
  }));
