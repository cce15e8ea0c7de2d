import { isIP } from 'node:net';
import { buildConnector, Pool } from 'undici';
import { ServerLoad } from '../balancing/server-load.js';
import type { UpstreamHandle, UpstreamTls } from '../contracts/server.js';

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
  readonly tls: UpstreamTls | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: UpstreamOptions) {
    this.origin = opts.origin;
    this.load = new ServerLoad();
    // https:// with or without a backend `tls` (then: the system's CAs, verified)
    this.tls = opts.origin.startsWith('https:') ? upstreamTls(opts.origin, opts.tls ?? { rejectUnauthorized: true }) : undefined;
    this.pool = new Pool(opts.origin, {
      connections: opts.connections,
      connectTimeout: opts.connectTimeoutMs,
      ...(this.tls === undefined ? {} : { connect: fixedNameConnector(this.tls, opts.connectTimeoutMs) }),
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

/**
 * The TLS of an https:// server: the backend's `tls`, and the one name its handshakes send and
 * check — `tls.serverName`, else the server URL's host name, else (an address) none, the address
 * being what is checked.
 */
function upstreamTls(origin: string, tls: UpstreamTlsOptions): UpstreamTls {
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
  const name = tls.servername ?? (isIP(host) === 0 ? host : '');
  return { connect: { ...tls, servername: name }, dispatchName: name === '' ? host : name };
}

/**
 * undici's connector with the name fixed. Left to itself, undici takes each request's `Host`
 * header as the TLS name (SNI and the certificate check) whenever it is a DNS name, overriding the
 * connector's `servername`: a route matching `shop.example.com` would check the backend's
 * certificate against `shop.example.com`, whatever `tls.serverName` says. The servername undici
 * passes in is dropped here; `dispatchName` on every request keeps undici from reconnecting
 * each time the `Host` changes (it does when a request's servername differs from the connection's).
 */
function fixedNameConnector(tls: UpstreamTls, connectTimeoutMs: number): buildConnector.connector {
  const { servername, ...rest } = tls.connect;
  const connect = buildConnector({ ...rest, ...(servername === '' ? {} : { servername }), timeout: connectTimeoutMs });
  return (options, callback) => connect({ ...options, servername: servername === '' ? undefined : servername }, callback);
}
