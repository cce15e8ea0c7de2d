import { Pool } from 'undici';
import { ServerLoad } from '../balancing/server-load.js';
import type { UpstreamHandle } from '../contracts/server.js';

export interface UpstreamOptions {
  /** origin, e.g. `http://10.0.0.1:8080` */
  readonly origin: string;
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** TLS to an `https://` origin */
  readonly tls?: UpstreamTlsOptions;
}

/** What undici's TLS connect takes: CAs, the name to check and send, verification, a client certificate. */
export interface UpstreamTlsOptions {
  readonly ca?: string;
  readonly servername?: string;
  readonly rejectUnauthorized: boolean;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * One upstream server's long-lived resources: its undici Pool (keep-alive connections) and its
 * live load (in-flight, peak-EWMA). Owned by the ResourceRegistry; survives configuration swaps
 * for as long as some part of the graph holds a lease on it (a backend still lists the server
 * with the same pool options).
 */
export class Upstream implements UpstreamHandle {
  readonly origin: string;
  readonly pool: Pool;
  readonly load: ServerLoad;
  #closing: Promise<void> | undefined;

  constructor(opts: UpstreamOptions) {
    this.origin = opts.origin;
    this.load = new ServerLoad();
    this.pool = new Pool(opts.origin, {
      connections: opts.connections,
      connectTimeout: opts.connectTimeoutMs,
      ...(opts.tls === undefined ? {} : { connect: { ...opts.tls } }),
      // Per-request headers/body timeouts are given at dispatch time (they may change with config).
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
      pipelining: 1,
    });
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Lets in-flight requests finish, then closes the connections. */
  close(): Promise<void> {
    this.#closing ??= this.pool.close().catch(() => undefined);
    return this.#closing;
  }

  /** Closes now, failing whatever is in flight. */
  destroy(): Promise<void> {
    this.#closing = this.pool.destroy().catch(() => undefined);
    return this.#closing;
  }
}
