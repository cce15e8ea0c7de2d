import { SingleTarget } from '../canary/single-target.js';
import { Splitter } from '../canary/splitter.js';
import { resolveTee } from '../config/defaults.js';
import type { ConfigSnapshot, RouteConfig } from '../config/snapshot.js';
import type { BackendRuntime } from '../contracts/backend.js';
import type { RouteRuntime, RouteTarget } from '../contracts/route.js';
import { buildChain } from '../filters/build-chain.js';
import type { LeaseScope } from '../lease/lease-scope.js';
import { RouteTees } from '../tee/route-tees.js';
import { TeeRuntime, type ShadowTarget } from '../tee/tee-runtime.js';
import type { GraphResources } from './graph-resources.js';

/** A route's runtime, what it was built from, and the leases it holds. */
export interface RoutePart {
  readonly config: RouteConfig;
  /** undefined when a backend it names is missing (resolution makes that impossible; never route half a split) */
  readonly runtime: RouteRuntime | undefined;
  /** the backend runtimes its targets point at */
  readonly backends: readonly BackendRuntime[];
  /** the filter configs and modules its chain was made of, in order (see `chainInputs`) */
  readonly chainInputs: readonly unknown[];
  /**
   * false when a later graph must rebuild it even if nothing above changed: it has tees (their
   * shadow targets depend on every route's tees) or a filter whose create() failed (retried on
   * every build, as a full rebuild does)
   */
  readonly reusable: boolean;
  /** its metric series, guards, tee states and filter instances */
  readonly leases: LeaseScope;
}

/** What a route's filter chain is made of: each filter's config and the module of its type. */
export function chainInputs(config: RouteConfig, snapshot: ConfigSnapshot, res: GraphResources): unknown[] {
  const out: unknown[] = [];
  for (const id of config.spec.filters ?? []) {
    const filter = snapshot.filters.get(id);
    out.push(filter, filter === undefined ? undefined : res.chains.modules.get(filter.spec.type));
  }
  return out;
}

/** A route's runtime, its long-lived resources leased into `leases`. */
export function buildRoute(
  config: RouteConfig,
  snapshot: ConfigSnapshot,
  backends: ReadonlyMap<string, BackendRuntime>,
  shadowOf: (id: string) => ShadowTarget | undefined,
  res: GraphResources,
  leases: LeaseScope,
): RoutePart {
  const { spec } = config;
  const tees = buildTees(config, shadowOf, res, leases);
  const { chain, complete } = buildChain(config, snapshot, res.chains, leases);
  const inputs = chainInputs(config, snapshot, res);
  const used: BackendRuntime[] = [];
  const targets = new Map<string, RouteTarget>();
  const target = (backendId: string): RouteTarget | undefined => {
    const backend = backends.get(backendId);
    if (!backend) return undefined;
    used.push(backend);
    const guard = spec.guard && spec.split ? leases.hold(res.guards.acquire(config.id, config.modRevision, backendId, spec.guard)).guard : undefined;
    const t: RouteTarget = { backend, series: leases.hold(res.series.acquire(config.id, backendId)), guard };
    targets.set(backendId, t);
    return t;
  };
  const part = (runtime: RouteRuntime | undefined): RoutePart => ({
    config,
    runtime,
    backends: used,
    chainInputs: inputs,
    reusable: runtime !== undefined && tees === undefined && (spec.tee ?? []).length === 0 && complete,
    leases,
  });
  const extras = { tees, chain };

  if (spec.split) {
    const arms = [];
    for (const entry of spec.split) {
      const t = target(entry.backend);
      if (!t) return part(undefined);
      arms.push({ target: t, weight: entry.weight });
    }
    const chooser = new Splitter({
      routeId: config.id,
      arms,
      sticky: spec.sticky,
      force: spec.force,
      forceIgnored: res.metrics.canaryForceIgnored.labels(config.id),
    });
    return part({ id: config.id, config, chooser, targets, ...extras });
  }
  const only = spec.backend === undefined ? undefined : target(spec.backend);
  if (!only) return part(undefined);
  return part({ id: config.id, config, chooser: new SingleTarget(only), targets, ...extras });
}

/** The route's tees, or undefined when it has none (or none whose shadow backend exists). */
function buildTees(config: RouteConfig, shadowOf: (id: string) => ShadowTarget | undefined, res: GraphResources, leases: LeaseScope): RouteTees | undefined {
  const tees: TeeRuntime[] = [];
  let compareHeaders: string[] | undefined;
  (config.spec.tee ?? []).forEach((spec, index) => {
    const shadow = shadowOf(spec.backend);
    if (!shadow) return;
    const resolved = resolveTee(spec);
    tees.push(new TeeRuntime(leases.hold(res.tees.acquire(config.id, index, resolved)), shadow));
    if (resolved.compare) compareHeaders = [...new Set([...(compareHeaders ?? []), ...resolved.compareHeaders.map((h) => h.toLowerCase())])];
  });
  return tees.length === 0 ? undefined : new RouteTees(tees, compareHeaders);
}
