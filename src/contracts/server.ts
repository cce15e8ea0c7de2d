import type { Pool } from 'undici';
import type { ServerLoad } from '../balancing/server-load.js';
import type { Pickable } from '../balancing/types.js';
import type { ServerConfig } from '../config/snapshot.js';

/**
 * One upstream server's long-lived resources as the request path and the health checks use them:
 * its undici pool and its live load. Made and owned by the runtime's ResourceRegistry (`Upstream`).
 */
export interface UpstreamHandle {
  /** origin, e.g. `http://10.0.0.1:8080` */
  readonly origin: string;
  readonly pool: Pool;
  readonly load: ServerLoad;
  /** closing or closed: the balancer no longer picks the server */
  readonly closed: boolean;
  /** an https:// server's TLS (undefined: plain HTTP) */
  readonly tls?: UpstreamTls | undefined;
}

/** How Junction makes TLS handshakes with an https:// server whose backend sets `tls`. */
export interface UpstreamTls {
  /**
   * node:tls connect options for a connection of its own (a WebSocket tunnel), as the pool's:
   * `servername` is the one name sent and checked ('' : none is sent, the address is checked)
   */
  readonly connect: { readonly ca?: string; readonly servername: string; readonly rejectUnauthorized: boolean; readonly cert?: string; readonly key?: string };
  /** what each request dispatched to the pool names as its servername (never the request's Host) */
  readonly dispatchName: string;
}

/** A request attempt as a breaker sees it: a function that starts it and settles when it is known to have worked or failed. */
export type Attempt = () => Promise<void>;

/** What forwarding asks of a server's breaker: run an attempt through it (rejects with `EOPENBREAKER` while it is open). */
export interface AttemptBreaker {
  fire(attempt: Attempt): Promise<void>;
}

/**
 * What the request path asks of one server's health state (`ServerHealth`, owned by the
 * HealthRegistry): may the balancer pick it, the breaker each attempt goes through, and each
 * attempt's outcome for passive detection.
 */
export interface HealthGate {
  /** breaker closed (or half-open awaiting its probe), healthy by checks, not ejected */
  available(): boolean;
  readonly breaker: AttemptBreaker;
  /** an attempt ended: `ok` false for a transport failure */
  record(ok: boolean): void;
}

/** One active server of a backend in one graph, as the balancers, forwarding and tees use it. */
export class ServerRuntime implements Pickable {
  readonly id: string;
  readonly weight: number;
  readonly config: ServerConfig;
  readonly upstream: UpstreamHandle;
  /** breaker, checks and ejection; undefined on the shadow side of a tee (the tee has its own breaker) */
  readonly health: HealthGate | undefined;

  constructor(config: ServerConfig, upstream: UpstreamHandle, health: HealthGate | undefined) {
    this.id = config.id;
    this.weight = config.weight;
    this.config = config;
    this.upstream = upstream;
    this.health = health;
  }

  get load(): ServerLoad {
    return this.upstream.load;
  }

  /** breaker closed (or half-open awaiting its probe), healthy by checks, not ejected */
  isAvailable(): boolean {
    return !this.upstream.closed && (this.health === undefined || this.health.available());
  }
}
