import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { GuardRegistry } from '../../src/canary/guard-registry.js';
import type { Graph } from '../../src/contracts/graph.js';
import type { Tees } from '../../src/contracts/tee.js';
import { buildSnapshot } from '../../src/config/build-snapshot.js';
import { ConfigState } from '../../src/config/config-state.js';
import { createValidators } from '../../src/config/decode/validators.js';
import { SnapshotMemo } from '../../src/config/snapshot-memo.js';
import type { ConfigSnapshot, RouteConfig } from '../../src/config/snapshot.js';
import type { StoreEvent } from '../../src/config/store/types.js';
import type { FilterCatalog } from '../../src/config/filter-catalog.js';
import { FilterInstances } from '../../src/filters/instance-registry.js';
import type { LoadedModule } from '../../src/filters/load-module.js';
import type { FilterInstance } from '../../src/filters/types.js';
import { HealthRegistry } from '../../src/health/health-registry.js';
import { JunctionEvents } from '../../src/observability/events.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { RouteSeriesCache } from '../../src/observability/route-series.js';
import { RetryBudgets } from '../../src/proxy/retry-budget.js';
import { buildGraph, type BuiltGraph } from '../../src/runtime/build-graph.js';
import type { GraphResources } from '../../src/runtime/graph-resources.js';
import { ResourceRegistry } from '../../src/runtime/resource-registry.js';
import type { Upstream, UpstreamOptions } from '../../src/runtime/upstream.js';
import type { Lease } from '../../src/lease/lease.js';
import { RouteTees } from '../../src/tee/route-tees.js';
import { TeeRegistry } from '../../src/tee/tee-registry.js';
import { SecureContexts } from '../../src/tls/cert-index.js';

const P = '/junction';

/** What the filter type `t` is made of now; `broken` makes looking it up throw (a build that fails halfway). */
export interface TestModules {
  current: LoadedModule;
  broken: boolean;
}

export function loaded(version: string): LoadedModule {
  return { type: 't', file: '/filters/t.js', version, validate: undefined, module: { type: 't', create: () => ({ onRequest: () => undefined }) } };
}

/** A ResourceRegistry that remembers every upstream it handed out, so a test can see which are closed. */
class SeenRegistry extends ResourceRegistry {
  constructor(readonly seen: Set<Upstream>) {
    super();
  }

  override acquire(opts: UpstreamOptions): Lease<Upstream> {
    const lease = super.acquire(opts);
    this.seen.add(lease.value);
    return lease;
  }
}

/** One set of registries, as a Junction instance has, with what a test needs to watch them. */
export interface ResourceSet {
  readonly res: GraphResources;
  readonly metrics: Metrics;
  readonly events: JunctionEvents;
  /** every upstream each registry handed out (closed ones included) */
  readonly pools: Set<Upstream>;
  readonly shadowPools: Set<Upstream>;
  /** filter instances created and not closed yet */
  readonly openFilters: Set<FilterInstance>;
  close(): Promise<void>;
}

export function resourceSet(modules: TestModules): ResourceSet {
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics({ defaultMetrics: false });
  const events = new JunctionEvents();
  const pools = new Set<Upstream>();
  const shadowPools = new Set<Upstream>();
  const openFilters = new Set<FilterInstance>();
  // one wrapper per module version, so the chain inputs of unchanged routes stay the same objects
  const tracked = new WeakMap<LoadedModule, LoadedModule>();
  const track = (mod: LoadedModule): LoadedModule => {
    let t = tracked.get(mod);
    if (t === undefined) {
      t = {
        ...mod,
        module: {
          type: mod.module.type,
          create: (config, ctx) => {
            const inner = mod.module.create(config, ctx);
            const instance: FilterInstance = { ...inner, close: () => void openFilters.delete(instance) };
            openFilters.add(instance);
            return instance;
          },
        },
      };
      tracked.set(mod, t);
    }
    return t;
  };
  const get = (type: string): LoadedModule | undefined => {
    if (modules.broken) throw new Error('module lookup failed');
    return type === 't' ? track(modules.current) : undefined;
  };
  const res: GraphResources = {
    registry: new SeenRegistry(pools),
    shadowRegistry: new SeenRegistry(shadowPools),
    health: new HealthRegistry({ metrics, logger, events }),
    retryBudgets: new RetryBudgets(),
    tees: new TeeRegistry({ metrics }),
    series: new RouteSeriesCache(metrics),
    guards: new GuardRegistry({ metrics, logger, events }),
    secureContexts: new SecureContexts(),
    metrics,
    chains: { modules: { get }, instances: new FilterInstances(logger, 0), budgetMs: 1000, onFailure: () => undefined, onCreateError: () => undefined },
  };
  return {
    res,
    metrics,
    events,
    pools,
    shadowPools,
    openFilters,
    close: async () => {
      res.health.close();
      res.tees.close();
      await res.registry.close(true);
      await res.shadowRegistry.close(true);
      await res.chains.instances.closeAll();
    },
  };
}

/** One request recorded on every target of the graph, so each (route, backend) series shows in the metrics registry. */
export function recordAll(graph: Graph): void {
  for (const r of graph.routes.values()) for (const t of r.targets.values()) t.series.record(200, 0.001);
}

type LabelledMetric = { get(): Promise<{ values: ReadonlyArray<{ labels: Record<string, string | number | undefined>; metricName?: string }> }> };

async function labelSets(metric: LabelledMetric, names: readonly string[]): Promise<string[]> {
  const { values } = await metric.get();
  const sets = new Set(values.map((v) => names.map((n) => String(v.labels[n])).join(' ')));
  return [...sets].sort();
}

/**
 * What a caller can see of the long-lived resources a set of registries keeps alive: open pools
 * (by origin), health states, guards, tees, metric series in the prom-client registry, and filter
 * instances not closed. Waits a moment first: released filter instances close on a (0 ms) timer.
 */
export async function observe(s: ResourceSet) {
  await sleep(2);
  const open = (xs: Set<Upstream>) => [...xs].filter((u) => !u.closed && !u.pool.closed).map((u) => u.origin).sort();
  const { metrics, res } = s;
  return {
    pools: open(s.pools),
    shadowPools: open(s.shadowPools),
    held: { pools: res.registry.size, shadowPools: res.shadowRegistry.size },
    health: res.health.states().map((h) => `${h.backend} ${h.server} ${h.url}`).sort(),
    guards: res.guards.states().map((g) => `${g.route} ${g.backend} ${g.tripped}`).sort(),
    tees: res.tees.reports().map((t) => `${t.route} ${t.backend}`).sort(),
    series: await labelSets(metrics.httpDuration, ['route', 'backend']),
    requests: await labelSets(metrics.httpRequests, ['route', 'backend', 'code']),
    guardGauges: await labelSets(metrics.canaryGuardTripped, ['route', 'backend']),
    healthGauges: await labelSets(metrics.serverHealthy, ['backend', 'server']),
    breakerGauges: await labelSets(metrics.breakerOpen, ['backend', 'server']),
    filters: s.openFilters.size,
  };
}

/** A map from objects to small numbers, so deepEqual compares long-lived objects by identity. */
function identities(): (o: object | undefined) => number | undefined {
  const ids = new WeakMap<object, number>();
  let next = 0;
  return (o) => {
    if (o === undefined) return undefined;
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = next++));
    return id;
  };
}

export const REQUESTS = ['/a/1', '/b/1', '/c/1', '/t/1', '/f/1', '/s/1', '/x'].map((path) => ({ method: 'GET', host: 'h.test', path, headers: {} }));

/** The states of a route's tees (the graph built them as RouteTees). */
function teeStates(tees: Tees | undefined): object[] {
  if (tees === undefined) return [];
  assert.ok(tees instanceof RouteTees);
  return tees.list.map((t) => t.state);
}

/** Everything a request can observe of a graph, with the long-lived objects compared by identity. */
function project(g: Graph, id: (o: object | undefined) => number | undefined) {
  for (const [rid, r] of g.routes) {
    assert.equal(r.config, g.snapshot.routes.get(rid), `route ${rid} runs the snapshot's config`);
    for (const [bid, t] of r.targets) assert.equal(t.backend, g.backends.get(bid), `route ${rid} points at the graph's own runtime of backend ${bid}`);
  }
  for (const [bid, be] of g.backends) assert.equal(be.config, g.snapshot.backends.get(bid), `backend ${bid} runs the snapshot's config`);
  return {
    routes: [...g.routes].map(([rid, r]) => ({
      id: rid,
      targets: [...r.targets].map(([bid, t]) => ({ backend: bid, series: id(t.series), guard: id(t.guard) })),
      tees: teeStates(r.tees).map(id),
      chain: r.chain?.links.map((l) => l.id),
      instances: r.chain?.links.map((l) => id(l.instance)),
    })),
    backends: [...g.backends].map(([bid, be]) => ({
      id: bid,
      servers: be.servers.map((s) => ({ id: s.id, weight: s.weight, upstream: id(s.upstream), health: id(s.health) })),
      balancer: be.config.balancer,
      budget: id(be.retry.budget),
    })),
    order: g.router.ordered.map((c) => c.id),
    wins: REQUESTS.map((q) => g.router.match(q)?.value.id),
  };
}

/**
 * Config revisions -> snapshots (with the memo, as the manager does) -> graphs, each built two
 * ways: from the previous build (the incremental path, whose replaced parts are then released as
 * the applier does after the swap) and from scratch in the same registries (so equal graphs hold
 * the very same pools, health states, series...). Then what the registries keep alive is compared
 * with what a full build alone keeps alive in registries of its own: nothing missing, nothing leaked.
 */
export function harness() {
  const modules: TestModules = { current: loaded('v1'), broken: false };
  const main = resourceSet(modules);
  const id = identities();
  const catalog: FilterCatalog = { types: () => new Set(['t']), retired: () => false, validate: (type) => (type === 't' ? [] : [{ field: 'type', message: 'unknown' }]) };
  const state = new ConfigState(P, createValidators());
  const memo = new SnapshotMemo();
  const active = new Map<string, RouteConfig>();
  let snap: ConfigSnapshot | undefined;
  let last: BuiltGraph | undefined;
  let rev = 0;
  const rebuild = async (): Promise<{ built: BuiltGraph; before: Graph | undefined }> => {
    snap = buildSnapshot(state, snap, active, { prefix: P, filters: catalog, now: () => new Date(0), memo });
    const before = last?.graph;
    const built = buildGraph(snap, main.res, last);
    built.retired.release(); // as the applier does once the graph is swapped in
    last = built;
    recordAll(built.graph);
    const live = await observe(main);
    const full = buildGraph(snap, main.res);
    assert.deepEqual(project(built.graph, id), project(full.graph, id), `revision ${rev}: the incremental graph differs from a full build`);
    full.acquired.release();
    assert.deepEqual(await observe(main), live, `revision ${rev}: discarding the full build released something the incremental graph uses`);
    const alone = resourceSet(modules);
    try {
      recordAll(buildGraph(snap, alone.res).graph);
      assert.deepEqual(live, await observe(alone), `revision ${rev}: the live resources differ from those of a full build alone`);
    } finally {
      await alone.close();
    }
    return { built, before };
  };
  const write = (ops: ReadonlyArray<[string, unknown] | [string]>): void => {
    rev++;
    const evs: StoreEvent[] = ops.map(([k, v]) =>
      v === undefined
        ? { type: 'delete', key: `${P}/${k}`, modRevision: rev }
        : { type: 'put', key: `${P}/${k}`, value: JSON.stringify(v), modRevision: rev, createRevision: rev, version: 1 },
    );
    state.apply({ kind: 'changes', revision: rev, events: evs });
  };
  const apply = (...ops: Array<[string, unknown] | [string]>) => {
    write(ops);
    return rebuild();
  };
  /**
   * A build from the last one that throws; as the config manager does then, the last snapshot
   * and graph stay the current ones.
   */
  const failing = (...ops: Array<[string, unknown] | [string]>): void => {
    write(ops);
    const next = buildSnapshot(state, snap, active, { prefix: P, filters: catalog, now: () => new Date(0), memo });
    assert.throws(() => buildGraph(next, main.res, last), /module lookup failed/);
  };
  return { main, modules, apply, rebuild, failing, last: () => last };
}

export async function withHarness(body: (h: ReturnType<typeof harness>) => Promise<void>): Promise<void> {
  const h = harness();
  try {
    await body(h);
  } finally {
    await h.main.close();
  }
}
