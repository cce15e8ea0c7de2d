import { createBalancer } from '../balancing/create-balancer.js';
import type { BackendConfig, ConfigSnapshot } from '../config/snapshot.js';
import { seriesKey, type RouteSeriesCache } from '../observability/route-series.js';
import { RouteIndex } from '../routing/route-index.js';
import type { RouteCandidate } from '../routing/route-candidate.js';
import { ServerRuntime, type BackendRuntime, type Graph, type RouteRuntime } from './graph.js';
import type { ResourceRegistry } from './resource-registry.js';
import { upstreamKey } from './upstream.js';

export interface BuiltGraph {
  readonly graph: Graph;
  /** keys of the upstreams the graph uses (everything else may be closed after the swap) */
  readonly upstreamKeys: ReadonlySet<string>;
  /** metric series the graph uses */
  readonly seriesKeys: ReadonlySet<string>;
}

/** Builds the runtime graph for a snapshot, reusing long-lived resources from the registry. */
export function buildGraph(snapshot: ConfigSnapshot, registry: ResourceRegistry, series: RouteSeriesCache): BuiltGraph {
  const upstreamKeys = new Set<string>();
  const seriesKeys = new Set<string>();
  const backends = new Map<string, BackendRuntime>();
  for (const config of snapshot.backends.values()) {
    backends.set(config.id, buildBackend(config, registry, upstreamKeys));
  }

  const routes = new Map<string, RouteRuntime>();
  const candidates: RouteCandidate<RouteRuntime>[] = [];
  for (const config of snapshot.routes.values()) {
    // Split routes (issue 3) choose among several backends; until then the route's backend is the first named.
    const backendId = config.spec.backend ?? config.spec.split?.[0]?.backend;
    const backend = backendId === undefined ? undefined : backends.get(backendId);
    if (!backend) continue;
    const route: RouteRuntime = { id: config.id, config, backend, series: series.get(config.id, backend.id) };
    seriesKeys.add(seriesKey(config.id, backend.id));
    routes.set(config.id, route);
    candidates.push({ id: config.id, match: config.spec.match ?? {}, priority: config.priority, value: route });
  }
  const router = RouteIndex.build(candidates);
  const graph: Graph = Object.freeze({ snapshot, router, routes, backends });
  return { graph, upstreamKeys, seriesKeys };
}

function buildBackend(config: BackendConfig, registry: ResourceRegistry, keys: Set<string>): BackendRuntime {
  const servers: ServerRuntime[] = [];
  for (const s of config.servers) {
    if (s.state === 'disabled') continue;
    const opts = { origin: s.url, connections: config.maxConnectionsPerServer, connectTimeoutMs: config.timeouts.connectMs };
    // A draining server keeps its pool (its in-flight requests finish, and it can come back warm)
    // but takes no new requests: only active servers go to the balancer.
    keys.add(upstreamKey(opts));
    const upstream = registry.acquire(opts);
    if (s.state === 'active') servers.push(new ServerRuntime(s, upstream));
  }
  return {
    id: config.id,
    config,
    servers,
    balancer: createBalancer(config.balancer, servers, config.hashKey === undefined ? {} : { hashKey: config.hashKey }),
    headersTimeoutMs: config.timeouts.headersMs,
    bodyTimeoutMs: config.timeouts.idleMs,
  };
}
