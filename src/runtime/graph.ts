import type { Balancer, Pickable } from '../balancing/types.js';
import type { BackendConfig, ConfigSnapshot, RouteConfig, ServerConfig } from '../config/snapshot.js';
import type { RouteSeries } from '../observability/route-series.js';
import type { RouteIndex } from '../routing/route-index.js';
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

  constructor(config: ServerConfig, upstream: Upstream) {
    this.id = config.id;
    this.weight = config.weight;
    this.config = config;
    this.upstream = upstream;
  }

  get load(): Upstream['load'] {
    return this.upstream.load;
  }

  /** Health checks and breakers (issue 6) plug in here; until then a listed server is available. */
  isAvailable(): boolean {
    return !this.upstream.closed;
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
}

export interface RouteRuntime {
  readonly id: string;
  readonly config: RouteConfig;
  readonly backend: BackendRuntime;
  readonly series: RouteSeries;
}
