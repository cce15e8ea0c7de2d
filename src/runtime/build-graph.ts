import type { GuardRegistry } from '../canary/guard-registry.js';
import { TEE_DEFAULTS } from '../config/defaults.js';
import type { ConfigSnapshot, RouteConfig } from '../config/snapshot.js';
import type { ChainResources } from '../filters/build-chain.js';
import type { HealthRegistry } from '../health/health-registry.js';
import type { Metrics } from '../observability/metrics.js';
import type { RouteSeriesCache } from '../observability/route-series.js';
import type { RetryBudgets } from '../proxy/retry-budget.js';
import type { RouteCandidate } from '../routing/route-candidate.js';
import { RouteIndex } from '../routing/route-index.js';
import type { TeeRegistry } from '../tee/tee-registry.js';
import type { ShadowTarget } from '../tee/tee-runtime.js';
import { buildBackend, type BackendPart } from './build-backend.js';
import { buildRoute, chainInputs, type RoutePart } from './build-route.js';
import type { BackendRuntime, Graph, RouteRuntime } from './graph.js';
import { KeyCounts } from './key-counts.js';
import type { ResourceRegistry } from './resource-registry.js';

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

/** Keys nothing holds any more after a build: the only ones a registry needs to release. */
export interface ReleasedKeys {
  readonly upstream: readonly string[];
  readonly health: readonly string[];
  readonly series: readonly string[];
  readonly guard: readonly string[];
  readonly tee: readonly string[];
  readonly filter: readonly string[];
  readonly backends: readonly string[];
}

export interface BuiltGraph {
  readonly graph: Graph;
  /**
   * Keys of the long-lived resources the graph holds, counted per part. A build from a previous
   * one adjusts that one's counts in place (after everything that can throw), so only the latest
   * BuiltGraph's counts are current.
   */
  readonly upstreamKeys: KeyCounts;
  readonly seriesKeys: KeyCounts;
  readonly guardKeys: KeyCounts;
  readonly teeKeys: KeyCounts;
  readonly filterKeys: KeyCounts;
  readonly healthKeys: KeyCounts;
  /** shadow upstreams the graph uses (tees are few: gathered anew each build) */
  readonly shadowKeys: ReadonlySet<string>;
  /** built without a previous graph: every registry should be swept against the counts */
  readonly full: boolean;
  readonly released: ReleasedKeys;
  /** what the next build may reuse: each backend's and each route's runtime with what it was built from */
  readonly backendParts: ReadonlyMap<string, BackendPart>;
  readonly routeParts: ReadonlyMap<string, RoutePart>;
  /** how many backend and route runtimes this build made (the rest were reused) */
  readonly rebuilt: { readonly backends: number; readonly routes: number };
}

/**
 * Builds the runtime graph for a snapshot, reusing long-lived resources — and, given the previous
 * build, its runtimes whose inputs are the same objects: a backend whose BackendConfig is
 * unchanged keeps its BackendRuntime (servers, balancer state, retry policy), a route whose
 * RouteConfig, target backends and filter chain inputs are unchanged keeps its RouteRuntime, and
 * the route index is rebuilt only when a route runtime changed. Without `previous` everything is
 * built anew (the first load, and the reference the incremental path is tested against).
 */
export function buildGraph(snapshot: ConfigSnapshot, res: GraphResources, previous?: BuiltGraph): BuiltGraph {
  const backends = new Map<string, BackendRuntime>();
  const backendParts = new Map<string, BackendPart>();
  const addedBackends: BackendPart[] = [];
  const removedBackends: BackendPart[] = [];
  for (const config of snapshot.backends.values()) {
    const old = previous?.backendParts.get(config.id);
    let part = old;
    if (part === undefined || part.runtime.config !== config) {
      part = buildBackend(config, res.registry, res, true);
      addedBackends.push(part);
      if (old !== undefined) removedBackends.push(old);
    }
    backendParts.set(config.id, part);
    backends.set(config.id, part.runtime);
  }
  const goneBackends: string[] = [];
  if (previous !== undefined) {
    for (const [id, old] of previous.backendParts) {
      if (backendParts.has(id)) continue;
      removedBackends.push(old);
      goneBackends.push(id);
    }
  }

  const shadowKeys = new Set<string>();
  const shadowOf = shadowTargets(snapshot, res, shadowKeys);
  const routes = new Map<string, RouteRuntime>();
  const routeParts = new Map<string, RoutePart>();
  const addedRoutes: RoutePart[] = [];
  const removedRoutes: RoutePart[] = [];
  const upserted: RouteRuntime[] = [];
  for (const config of snapshot.routes.values()) {
    const old = previous?.routeParts.get(config.id);
    let part = old;
    if (part === undefined || !reusable(part, config, snapshot, backends, res)) {
      part = buildRoute(config, snapshot, backends, shadowOf, res);
      addedRoutes.push(part);
      if (old !== undefined) removedRoutes.push(old);
      if (part.runtime !== undefined) upserted.push(part.runtime);
    }
    routeParts.set(config.id, part);
    if (part.runtime !== undefined) routes.set(config.id, part.runtime);
  }
  if (previous !== undefined) for (const [id, old] of previous.routeParts) if (!routeParts.has(id)) removedRoutes.push(old);
  const router = previous === undefined ? RouteIndex.build([...routes.values()].map(candidate)) : patchRouter(previous.graph, routes, upserted);
  const graph: Graph = Object.freeze({ snapshot, router, routes, backends });

  // Nothing below throws: the previous build's counts are only touched once this one stands.
  const keys = previous ?? {
    upstreamKeys: new KeyCounts(),
    healthKeys: new KeyCounts(),
    seriesKeys: new KeyCounts(),
    guardKeys: new KeyCounts(),
    teeKeys: new KeyCounts(),
    filterKeys: new KeyCounts(),
  };
  // holds are added before they are dropped, so a key that moves from an old part to its
  // replacement never reaches zero
  for (const p of addedBackends) {
    keys.upstreamKeys.add(p.upstreamKeys);
    keys.healthKeys.add(p.healthKeys);
  }
  for (const p of addedRoutes) {
    keys.seriesKeys.add(p.seriesKeys);
    keys.guardKeys.add(p.guardKeys);
    keys.teeKeys.add(p.teeKeys);
    keys.filterKeys.add(p.filterKeys);
  }
  const released = { upstream: [] as string[], health: [] as string[], series: [] as string[], guard: [] as string[], tee: [] as string[], filter: [] as string[], backends: goneBackends };
  for (const p of removedBackends) {
    keys.upstreamKeys.remove(p.upstreamKeys, released.upstream);
    keys.healthKeys.remove(p.healthKeys, released.health);
  }
  for (const p of removedRoutes) {
    keys.seriesKeys.remove(p.seriesKeys, released.series);
    keys.guardKeys.remove(p.guardKeys, released.guard);
    keys.teeKeys.remove(p.teeKeys, released.tee);
    keys.filterKeys.remove(p.filterKeys, released.filter);
  }
  return {
    graph,
    upstreamKeys: keys.upstreamKeys,
    healthKeys: keys.healthKeys,
    seriesKeys: keys.seriesKeys,
    guardKeys: keys.guardKeys,
    teeKeys: keys.teeKeys,
    filterKeys: keys.filterKeys,
    shadowKeys,
    full: previous === undefined,
    released,
    backendParts,
    routeParts,
    rebuilt: { backends: addedBackends.length, routes: upserted.length },
  };
}

/** Shared by every route without a match, so an unchanged match is always the same object. */
const ANY_MATCH = Object.freeze({});

function candidate(route: RouteRuntime): RouteCandidate<RouteRuntime> {
  return { id: route.id, match: route.config.spec.match ?? ANY_MATCH, priority: route.config.priority, value: route };
}

/** The previous index with the routes that are gone taken out and the rebuilt ones put in (the same index when none). */
function patchRouter(previous: Graph, routes: ReadonlyMap<string, RouteRuntime>, upserted: readonly RouteRuntime[]): RouteIndex<RouteRuntime> {
  const removed: string[] = [];
  for (const id of previous.routes.keys()) if (!routes.has(id)) removed.push(id);
  if (removed.length === 0 && upserted.length === 0) return previous.router;
  return previous.router.update(removed, upserted.map(candidate));
}

/** Whether the previous build's part for this route is exactly what building it now would give. */
function reusable(part: RoutePart, config: RouteConfig, snapshot: ConfigSnapshot, backends: ReadonlyMap<string, BackendRuntime>, res: GraphResources): boolean {
  if (!part.reusable || part.config !== config) return false;
  for (const b of part.backends) if (backends.get(b.id) !== b) return false;
  if (part.chainInputs.length === 0) return true;
  const now = chainInputs(config, snapshot, res);
  return now.every((x, i) => x === part.chainInputs[i]);
}

/**
 * The shadow side of tees, built on demand per snapshot (tees are few). A shadow pool gets at
 * least as many connections as its tees allow copies in flight, so copies never queue inside
 * Junction (the shadow's latency is the shadow's, not Junction's queue).
 */
function shadowTargets(snapshot: ConfigSnapshot, res: GraphResources, shadowKeys: Set<string>): (id: string) => ShadowTarget | undefined {
  const caps = new Map<string, number>();
  for (const r of snapshot.routes.values()) {
    const tees = r.spec.tee;
    if (tees === undefined) continue;
    for (const t of tees) caps.set(t.backend, Math.max(caps.get(t.backend) ?? 0, t.maxInFlight ?? TEE_DEFAULTS.maxInFlight));
  }
  const shadows = new Map<string, ShadowTarget>();
  return (id) => {
    const base = snapshot.backends.get(id);
    if (!base) return undefined;
    let t = shadows.get(id);
    if (!t) {
      const config = { ...base, maxConnectionsPerServer: Math.max(base.maxConnectionsPerServer, caps.get(id) ?? 0) };
      const b = buildBackend(config, res.shadowRegistry, res, false);
      for (const k of b.upstreamKeys) shadowKeys.add(k);
      t = { id, servers: b.runtime.servers, balancer: b.runtime.balancer };
      shadows.set(id, t);
    }
    return t;
  };
}
