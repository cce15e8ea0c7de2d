import type { IncomingHttpHeaders } from 'node:http';
import type { Balancer, Pickable } from '../balancing/types.js';
import type { GuardWindow } from '../canary/guard-window.js';
import type { TeeRuntime } from '../tee/tee-runtime.js';
import type { FilterChain } from '../filters/chain.js';
import type { BackendConfig, ConfigSnapshot, RouteConfig, ServerConfig } from '../config/snapshot.js';
import type { RouteSeries } from '../observability/route-series.js';
import type { RouteIndex } from '../routing/route-index.js';
import type { ServerHealth } from '../health/server-health.js';
import type { RetryPolicy } from '../proxy/retry-policy.js';
import type { Upstream } from './upstream.js';

/**
 * The runtime graph built from one snapshot: cheap objects (router, balancers, per-route wiring)
 * pointing at long-lived resources (pools, load state). Immutable once built; a request captures
 * the current graph once and finishes on it even if another is swapped in meanwhile.
 */
export interface Graph {
  readonly snapshot: ConfigSnapshot;
  readonly router: RouteIndex<RouteRuntime>;
  readonly routes: ReadonlyMap<string, RouteRuntime>;
  readonly backends: ReadonlyMap<string, BackendRuntime>;
}

export class ServerRuntime implements Pickable {
  readonly id: string;
  readonly weight: number;
  readonly config: ServerConfig;
  readonly upstream: Upstream;
  /** breaker, checks and ejection; undefined on the shadow side of a tee (the tee has its own breaker) */
  readonly health: ServerHealth | undefined;

  constructor(config: ServerConfig, upstream: Upstream, health: ServerHealth | undefined) {
    this.id = config.id;
    this.weight = config.weight;
    this.config = config;
    this.upstream = upstream;
    this.health = health;
  }

  get load(): Upstream['load'] {
    return this.upstream.load;
  }

  /** breaker closed (or half-open awaiting its probe), healthy by checks, not ejected */
  isAvailable(): boolean {
    return !this.upstream.closed && (this.health === undefined || this.health.available());
  }
}

export interface BackendRuntime {
  readonly id: string;
  readonly config: BackendConfig;
  /** servers in state `active`, the ones the balancer picks from */
  readonly servers: readonly ServerRuntime[];
  readonly balancer: Balancer<ServerRuntime>;
  /** per-request timeouts given to undici */
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly retry: RetryPolicy;
}

/** One backend a route can send to, with what is recorded per (route, backend). */
export interface RouteTarget {
  readonly backend: BackendRuntime;
  readonly series: RouteSeries;
  /** the canary guard of this (route, backend), when the route has one */
  readonly guard: GuardWindow | undefined;
}

/** Where a chooser writes a decision's side effects (the Exchange). */
export interface ChoiceSink {
  /** a `Set-Cookie` value to add to the response (sticky canary cookie) */
  setCookie: string | undefined;
}

/** Picks the route's target for a request: the backend, or a split's arm. */
export interface TargetChooser {
  choose(headers: IncomingHttpHeaders, clientIp: string, sink: ChoiceSink): RouteTarget;
}

export interface RouteRuntime {
  readonly id: string;
  readonly config: RouteConfig;
  readonly chooser: TargetChooser;
  /** every target, by backend id */
  readonly targets: ReadonlyMap<string, RouteTarget>;
  /** the route's shadow copies (empty for most routes) */
  readonly tees: readonly TeeRuntime[];
  /** headers compared by the route's comparing tees, or undefined when none compares */
  readonly compareHeaders: readonly string[] | undefined;
  /** the route's filters, or undefined when it has none */
  readonly chain: FilterChain | undefined;
}
