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
  const upstreamKeys = new Set<string>();
  const healthKeys = new Set<string>();
  const backends = new Map<string, BackendRuntime>();
  const backendParts = new Map<string, BackendPart>();
  let rebuiltBackends = 0;
  for (const config of snapshot.backends.values()) {
    let part = previous?.backendParts.get(config.id);
    if (part === undefined || part.runtime.config !== config) {
      part = buildBackend(config, res.registry, res, true);
      rebuiltBackends++;
    }
    backendParts.set(config.id, part);
    backends.set(config.id, part.runtime);
    for (const k of part.upstreamKeys) upstreamKeys.add(k);
    for (const k of part.healthKeys) healthKeys.add(k);
  }

  const shadowKeys = new Set<string>();
  const shadowOf = shadowTargets(snapshot, res, shadowKeys);
  const seriesKeys = new Set<string>();
  const guardKeys = new Set<string>();
  const teeKeys = new Set<string>();
  const filterKeys = new Set<string>();
  const routes = new Map<string, RouteRuntime>();
  const routeParts = new Map<string, RoutePart>();
  const upserted: RouteRuntime[] = [];
  for (const config of snapshot.routes.values()) {
    let part = previous?.routeParts.get(config.id);
    if (part === undefined || !reusable(part, config, snapshot, backends, res)) {
      part = buildRoute(config, snapshot, backends, shadowOf, res);
      if (part.runtime !== undefined) upserted.push(part.runtime);
    }
    routeParts.set(config.id, part);
    for (const k of part.seriesKeys) seriesKeys.add(k);
    for (const k of part.guardKeys) guardKeys.add(k);
    for (const k of part.teeKeys) teeKeys.add(k);
    for (const k of part.filterKeys) filterKeys.add(k);
    if (part.runtime !== undefined) routes.set(config.id, part.runtime);
  }
  const router = previous === undefined ? RouteIndex.build([...routes.values()].map(candidate)) : patchRouter(previous.graph, routes, upserted);
  const graph: Graph = Object.freeze({ snapshot, router, routes, backends });
  return {
    graph,
    upstreamKeys,
    seriesKeys,
    guardKeys,
    shadowKeys,
    teeKeys,
    filterKeys,
    healthKeys,
    backendIds: new Set(backends.keys()),
    backendParts,
    routeParts,
    rebuilt: { backends: rebuiltBackends, routes: upserted.length },
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
