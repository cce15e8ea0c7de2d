import { createBalancer } from '../balancing/create-balancer.js';
import { GuardRegistry } from '../canary/guard-registry.js';
import { SingleTarget } from '../canary/single-target.js';
import { Splitter } from '../canary/splitter.js';
import type { BackendConfig, ConfigSnapshot, RouteConfig } from '../config/snapshot.js';
import { HealthRegistry } from '../health/health-registry.js';
import type { RetryBudgets } from '../proxy/retry-budget.js';
import { RetryPolicy } from '../proxy/retry-policy.js';
import { resolveTee, TEE_DEFAULTS } from '../config/defaults.js';
import type { Metrics } from '../observability/metrics.js';
import { buildChain, type ChainResources } from '../filters/build-chain.js';
import type { FilterChain } from '../filters/chain.js';
import { TeeRegistry } from '../tee/tee-registry.js';
import { TeeRuntime, type ShadowTarget } from '../tee/tee-runtime.js';
import { seriesKey, type RouteSeriesCache } from '../observability/route-series.js';
import { RouteIndex } from '../routing/route-index.js';
import type { RouteCandidate } from '../routing/route-candidate.js';
import { ServerRuntime, type BackendRuntime, type Graph, type RouteRuntime, type RouteTarget } from './graph.js';
import type { ResourceRegistry } from './resource-registry.js';
import { upstreamKey } from './upstream.js';

/** The long-lived things a graph build draws on (they outlive any one graph). */
export interface GraphResources {
  readonly registry: ResourceRegistry;
  readonly health: HealthRegistry;
  readonly retryBudgets: RetryBudgets;
  /** the shadow side's own pools: tee traffic never shares a connection with real traffic */
  readonly shadowRegistry: ResourceRegistry;
  readonly tees: TeeRegistry;
  readonly chains: ChainResources;
  readonly series: RouteSeriesCache;
  readonly guards: GuardRegistry;
  readonly metrics: Metrics;
}

export interface BuiltGraph {
  readonly graph: Graph;
  /** keys of the upstreams the graph uses (everything else may be closed after the swap) */
  readonly upstreamKeys: ReadonlySet<string>;
  /** metric series the graph uses */
  readonly seriesKeys: ReadonlySet<string>;
  /** canary guards the graph uses */
  readonly guardKeys: ReadonlySet<string>;
  /** shadow upstreams and tee states the graph uses */
  readonly shadowKeys: ReadonlySet<string>;
  readonly teeKeys: ReadonlySet<string>;
  /** filter instances the graph uses */
  readonly filterKeys: ReadonlySet<string>;
  /** server health states and retry budgets the graph uses */
  readonly healthKeys: ReadonlySet<string>;
  readonly backendIds: ReadonlySet<string>;
}

/** Builds the runtime graph for a snapshot, reusing long-lived resources. */
export function buildGraph(snapshot: ConfigSnapshot, res: GraphResources): BuiltGraph {
  const upstreamKeys = new Set<string>();
  const seriesKeys = new Set<string>();
  const guardKeys = new Set<string>();
  const shadowKeys = new Set<string>();
  const teeKeys = new Set<string>();
  const filterKeys = new Set<string>();
  const healthKeys = new Set<string>();
  const backends = new Map<string, BackendRuntime>();
  for (const config of snapshot.backends.values()) {
    backends.set(config.id, buildBackend(config, res.registry, upstreamKeys, res, healthKeys));
  }
  // A shadow pool gets at least as many connections as its tees allow copies in flight, so copies
  // never queue inside Junction (the shadow's latency is the shadow's, not Junction's queue).
  const shadowCaps = new Map<string, number>();
  for (const r of snapshot.routes.values()) {
    for (const t of r.spec.tee ?? []) shadowCaps.set(t.backend, Math.max(shadowCaps.get(t.backend) ?? 0, t.maxInFlight ?? TEE_DEFAULTS.maxInFlight));
  }
  const shadows = new Map<string, ShadowTarget>();
  const shadowOf = (id: string): ShadowTarget | undefined => {
    const base = snapshot.backends.get(id);
    if (!base) return undefined;
    const config = { ...base, maxConnectionsPerServer: Math.max(base.maxConnectionsPerServer, shadowCaps.get(id) ?? 0) };
    let t = shadows.get(id);
    if (!t) {
      const b = buildBackend(config, res.shadowRegistry, shadowKeys, res, undefined);
      t = { id, servers: b.servers, balancer: b.balancer };
      shadows.set(id, t);
    }
    return t;
  };

  const routes = new Map<string, RouteRuntime>();
  const candidates: RouteCandidate<RouteRuntime>[] = [];
  for (const config of snapshot.routes.values()) {
    const extras = {
      ...buildTees(config, shadowOf, res.tees, teeKeys),
      chain: buildChain(config, snapshot, res.chains, filterKeys),
    };
    const route = buildRoute(config, backends, res, seriesKeys, guardKeys, extras);
    if (!route) continue;
    routes.set(config.id, route);
    candidates.push({ id: config.id, match: config.spec.match ?? {}, priority: config.priority, value: route });
  }
  const router = RouteIndex.build(candidates);
  const graph: Graph = Object.freeze({ snapshot, router, routes, backends });
  return { graph, upstreamKeys, seriesKeys, guardKeys, shadowKeys, teeKeys, filterKeys, healthKeys, backendIds: new Set(backends.keys()) };
}

function buildTees(
  config: RouteConfig,
  shadowOf: (id: string) => ShadowTarget | undefined,
  tees: TeeRegistry,
  teeKeys: Set<string>,
): { tees: TeeRuntime[]; compareHeaders: string[] | undefined } {
  const out: TeeRuntime[] = [];
  let compareHeaders: string[] | undefined;
  (config.spec.tee ?? []).forEach((spec, index) => {
    const shadow = shadowOf(spec.backend);
    if (!shadow) return;
    const resolved = resolveTee(spec);
    teeKeys.add(TeeRegistry.key(config.id, config.modRevision, index, spec.backend));
    out.push(new TeeRuntime(tees.acquire(config.id, config.modRevision, index, spec.backend, resolved), shadow));
    if (resolved.compare) compareHeaders = [...new Set([...(compareHeaders ?? []), ...resolved.compareHeaders.map((h) => h.toLowerCase())])];
  });
  return { tees: out, compareHeaders };
}

function buildRoute(
  config: RouteConfig,
  backends: ReadonlyMap<string, BackendRuntime>,
  res: GraphResources,
  seriesKeys: Set<string>,
  guardKeys: Set<string>,
  shadow: { tees: TeeRuntime[]; compareHeaders: string[] | undefined; chain: FilterChain | undefined },
): RouteRuntime | undefined {
  const { spec } = config;
  const targets = new Map<string, RouteTarget>();
  const target = (backendId: string): RouteTarget | undefined => {
    const backend = backends.get(backendId);
    if (!backend) return undefined;
    let guard;
    if (spec.guard && spec.split) {
      guard = res.guards.acquire(config.id, config.modRevision, backendId, spec.guard);
      guardKeys.add(GuardRegistry.key(config.id, config.modRevision, backendId));
    }
    seriesKeys.add(seriesKey(config.id, backendId));
    const t: RouteTarget = { backend, series: res.series.get(config.id, backendId), guard };
    targets.set(backendId, t);
    return t;
  };

  if (spec.split) {
    const arms = [];
    for (const entry of spec.split) {
      const t = target(entry.backend);
      if (!t) return undefined; // resolution guarantees presence; never route half a split
      arms.push({ target: t, weight: entry.weight });
    }
    const chooser = new Splitter({
      routeId: config.id,
      arms,
      sticky: spec.sticky,
      force: spec.force,
      forceIgnored: res.metrics.canaryForceIgnored.labels(config.id),
    });
    return { id: config.id, config, chooser, targets, ...shadow };
  }
  const only = spec.backend === undefined ? undefined : target(spec.backend);
  if (!only) return undefined;
  return { id: config.id, config, chooser: new SingleTarget(only), targets, ...shadow };
}

/**
 * A backend's runtime. `healthKeys` is undefined for the shadow side of a tee: shadow servers have
 * no health state (the tee has its own breaker), and their traffic never counts in the primary's.
 */
function buildBackend(
  config: BackendConfig,
  registry: ResourceRegistry,
  keys: Set<string>,
  res: GraphResources,
  healthKeys: Set<string> | undefined,
): BackendRuntime {
  const servers: ServerRuntime[] = [];
  for (const s of config.servers) {
    if (s.state === 'disabled') continue;
    const opts = { origin: s.url, connections: config.maxConnectionsPerServer, connectTimeoutMs: config.timeouts.connectMs };
    // A draining server keeps its pool (its in-flight requests finish, and it can come back warm)
    // but takes no new requests: only active servers go to the balancer.
    keys.add(upstreamKey(opts));
    const upstream = registry.acquire(opts);
    if (s.state !== 'active') continue;
    const health = healthKeys === undefined ? undefined : res.health.acquire(config, s, upstream);
    healthKeys?.add(HealthRegistry.key(config.id, s.id, s.url));
    servers.push(new ServerRuntime(s, upstream, health));
  }
  return {
    id: config.id,
    config,
    servers,
    balancer: createBalancer(config.balancer, servers, config.hashKey === undefined ? {} : { hashKey: config.hashKey }),
    headersTimeoutMs: config.timeouts.headersMs,
    bodyTimeoutMs: config.timeouts.idleMs,
    retry: new RetryPolicy(config.retry, res.retryBudgets.acquire(config.id, config.retry.budgetPercent)),
  };
}
