import { TEE_DEFAULTS } from '../config/defaults.js';
import type { ConfigSnapshot, RouteConfig } from '../config/snapshot.js';
import type { BackendRuntime } from '../contracts/backend.js';
import type { Graph } from '../contracts/graph.js';
import type { RouteRuntime } from '../contracts/route.js';
import { LeaseScope } from '../lease/lease-scope.js';
import type { RouteCandidate } from '../routing/route-candidate.js';
import { RouteIndex } from '../routing/route-index.js';
import type { ShadowTarget } from '../tee/tee-runtime.js';
import { CertIndex } from '../tls/cert-index.js';
import { buildBackend, type BackendPart } from './build-backend.js';
import { buildRoute, chainInputs, type RoutePart } from './build-route.js';
import type { GraphResources } from './graph-resources.js';

export interface BuiltGraph {
  readonly graph: Graph;
  /** what the next build may reuse: each backend's and each route's runtime with what it was built from and the leases it holds */
  readonly backendParts: ReadonlyMap<string, BackendPart>;
  readonly routeParts: ReadonlyMap<string, RoutePart>;
  /** the leases of the shadow side of tees (its pools), taken anew by every build: tees are few */
  readonly shadow: LeaseScope;
  /**
   * Every lease this build took (its new parts' and the shadow side's). Released only to discard a
   * graph that is never swapped in; a graph that is swapped in keeps them in its parts.
   */
  readonly acquired: LeaseScope;
  /**
   * The leases of the previous build's parts this one replaced or dropped, and of its shadow side.
   * Release them once this graph is swapped in: not before (the previous graph serves until then),
   * and since this build took its own first, a resource handed from an old part to its
   * replacement never reaches zero holds (its pool is never closed and re-made).
   */
  readonly retired: LeaseScope;
  /** how many backend and route runtimes this build made (the rest were reused) */
  readonly rebuilt: { readonly backends: number; readonly routes: number };
}

/**
 * Builds the runtime graph for a snapshot, leasing long-lived resources from the registries — and,
 * given the previous build, reusing its runtimes whose inputs are the same objects (with the
 * leases they hold): a backend whose BackendConfig is unchanged keeps its BackendRuntime (servers,
 * balancer state, retry policy), a route whose RouteConfig, target backends and filter chain
 * inputs are unchanged keeps its RouteRuntime, and the route index is rebuilt only when a route
 * runtime changed. Without `previous` everything is built anew (the first load, and the reference
 * the incremental path is tested against). If the build throws, every lease it took is released
 * before the error propagates; `previous` and its leases are untouched.
 */
export function buildGraph(snapshot: ConfigSnapshot, res: GraphResources, previous?: BuiltGraph): BuiltGraph {
  const acquired = new LeaseScope();
  try {
    return build(snapshot, res, previous, acquired);
  } catch (err) {
    acquired.release();
    throw err;
  }
}

function build(snapshot: ConfigSnapshot, res: GraphResources, previous: BuiltGraph | undefined, acquired: LeaseScope): BuiltGraph {
  const retired = new LeaseScope();
  const backends = new Map<string, BackendRuntime>();
  const backendParts = new Map<string, BackendPart>();
  let rebuiltBackends = 0;
  for (const config of snapshot.backends.values()) {
    const old = previous?.backendParts.get(config.id);
    let part = old;
    const clientCert = config.tls?.clientCert === undefined ? undefined : snapshot.certs.get(config.tls.clientCert);
    if (part === undefined || part.runtime.config !== config || part.clientCert !== clientCert) {
      part = buildBackend(config, clientCert, res.registry, res, true, acquired.child());
      rebuiltBackends++;
      if (old !== undefined) retired.add(old.leases);
    }
    backendParts.set(config.id, part);
    backends.set(config.id, part.runtime);
  }
  if (previous !== undefined) for (const [id, old] of previous.backendParts) if (!backendParts.has(id)) retired.add(old.leases);

  const shadow = acquired.child();
  const shadowOf = shadowTargets(snapshot, res, shadow);
  if (previous !== undefined) retired.add(previous.shadow);
  const routes = new Map<string, RouteRuntime>();
  const routeParts = new Map<string, RoutePart>();
  const upserted: RouteRuntime[] = [];
  for (const config of snapshot.routes.values()) {
    const old = previous?.routeParts.get(config.id);
    let part = old;
    if (part === undefined || !reusable(part, config, snapshot, backends, res)) {
      part = buildRoute(config, snapshot, backends, shadowOf, res, acquired.child());
      if (old !== undefined) retired.add(old.leases);
      if (part.runtime !== undefined) upserted.push(part.runtime);
    }
    routeParts.set(config.id, part);
    if (part.runtime !== undefined) routes.set(config.id, part.runtime);
  }
  if (previous !== undefined) for (const [id, old] of previous.routeParts) if (!routeParts.has(id)) retired.add(old.leases);
  const router = previous === undefined ? RouteIndex.build([...routes.values()].map(candidate)) : patchRouter(previous.graph, routes, upserted);
  // the SNI index: the previous one while the snapshot's certificates are the same map (buildSnapshot keeps it then)
  const certs = previous !== undefined && previous.graph.snapshot.certs === snapshot.certs ? previous.graph.certs : CertIndex.build(snapshot.certs, res.secureContexts);
  const graph: Graph = Object.freeze({ snapshot, router, routes, backends, certs });
  return { graph, backendParts, routeParts, shadow, acquired, retired, rebuilt: { backends: rebuiltBackends, routes: upserted.length } };
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
function shadowTargets(snapshot: ConfigSnapshot, res: GraphResources, leases: LeaseScope): (id: string) => ShadowTarget | undefined {
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
      const clientCert = config.tls?.clientCert === undefined ? undefined : snapshot.certs.get(config.tls.clientCert);
      const b = buildBackend(config, clientCert, res.shadowRegistry, res, false, leases);
      t = { id, servers: b.runtime.servers, balancer: b.runtime.balancer };
      shadows.set(id, t);
    }
    return t;
  };
}
