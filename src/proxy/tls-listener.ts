import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { MAX_REQUEST_HEADERS } from '../admission/request-target.js';
import { listen } from '../http/server-lifecycle.js';
import type { Metrics } from '../observability/metrics.js';
import { handleClientError } from './client-errors.js';
import { createProxyHandler, type ProxyHandler } from './proxy-handler.js';
import { DEFAULT_TLS_TIMEOUTS, Http1Connections, type TlsTimeouts } from './tls-connection-timers.js';
import type { ProxyDeps } from './proxy-deps.js';

/** What the TLS listener needs of the certificates in the store (the current graph's SNI index). */
export interface CertPicker {
  /** the context for a handshake that names `servername`, or undefined when no certificate covers it */
  pick(servername: string): SecureContext | undefined;
  /** the certificate marked `default`, for handshakes that name nothing (clients by IP); the same object while it is unchanged */
  readonly fallback: { readonly certPem: string; readonly keyPem: string } | undefined;
}

/** HTTP/2 limits (LIBRARIES.md): no unbounded streams, a bounded header list and session memory. */
const H2_LIMITS = {
  settings: { maxConcurrentStreams: 128, maxHeaderListSize: 64 * 1024, enablePush: false },
  maxHeaderListPairs: MAX_REQUEST_HEADERS + 8, // + the pseudo-headers
  maxSessionMemory: 16, // MiB of outstanding frames per session before new streams are refused
  peerMaxConcurrentStreams: 128,
} as const;

/**
 * The TLS listener: HTTP/2 and HTTP/1.1 by ALPN on one port (`--listen-tls`). Requests of both
 * enter the same admission path as the plain listener's (X-Forwarded-Proto `https`); WebSocket
 * upgrades work over HTTP/1.1. The certificate is picked per handshake by SNI from the current
 * configuration, so a put or a delete reaches the next handshake; a handshake naming nothing gets
 * the `default` certificate, or fails. Node's compatibility request and response objects stand in
 * for node:http's here: they offer what admission and forwarding use (headers, streaming, `writeHead`
 * with raw headers, `drain`, `close`), and where they differ — no reason phrase, no
 * `Connection` header, a stream instead of a socket — the Arrival branches on its protocol.
 */
export class TlsListener {
  readonly #server: Http2SecureServer;
  readonly #handler: ProxyHandler;
  readonly #deps: ProxyDeps;
  readonly #sessions = new Set<Http2Session>();
  readonly #http1: Http1Connections;
  #fallback: CertPicker['fallback'];

  constructor(
    deps: ProxyDeps,
    private readonly certs: () => CertPicker | undefined,
    private readonly metrics: Metrics,
    timeouts: TlsTimeouts = DEFAULT_TLS_TIMEOUTS,
  ) {
    this.#deps = deps;
    this.#http1 = new Http1Connections(timeouts.http1HeadMs);
    this.#handler = createProxyHandler(deps);
    this.#server = createSecureServer({
      allowHTTP1: true,
      minVersion: 'TLSv1.2',
      ...H2_LIMITS,
      SNICallback: (servername, cb) => cb(null, this.certs()?.pick(servername)),
    });
    const server = this.#server;
    // the compatibility objects implement the surface admission and forwarding use (see above)
    const http1 = this.#http1;
    server.on('request', (req, res) => {
      if (req.httpVersionMajor === 1) http1.requestStarted(req.socket, (done) => res.once('close', done));
      this.#handler.request(req as unknown as IncomingMessage, res as unknown as ServerResponse);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      http1.upgraded(socket);
      this.#handler.upgrade(req, socket, head);
    });
    server.on('clientError', (err: Error, socket: Socket) => handleClientError(err, socket, deps.unroutedSeries));
    server.on('tlsClientError', (err: NodeJS.ErrnoException) => this.metrics.tlsHandshakeErrors.labels(handshakeFailure(err)).inc());
    server.on('session', (session: Http2Session) => {
      this.#sessions.add(session);
      session.on('error', () => session.destroy());
      // idle: GOAWAY, and the session closes once its streams are done
      session.setTimeout(timeouts.h2IdleMs, () => session.close());
      session.once('close', () => this.#sessions.delete(session));
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.alpnProtocol === 'h2') return;
      http1.add(socket);
    });
    this.refreshFallback();
  }

  /** Uses the current `default` certificate for handshakes that name no server (call after each configuration change). */
  refreshFallback(): void {
    const fallback = this.certs()?.fallback;
    if (fallback === this.#fallback) return;
    this.#fallback = fallback;
    this.#server.setSecureContext(fallback === undefined ? {} : { cert: fallback.certPem, key: fallback.keyPem });
  }

  listen(at: { host: string; port: number }): Promise<AddressInfo> {
    return listen(this.#server, at, 'tls');
  }

  /**
   * Graceful: stops accepting, sends GOAWAY to every HTTP/2 session (streams under way finish), lets
   * in-flight requests finish within `timeoutMs`, then cuts what is left and the WebSocket tunnels.
   */
  async close(timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sessions) s.close();
    const inFlight = this.#deps.inFlight;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && inFlight.count > 0) await new Promise((r) => setTimeout(r, 25));
    for (const s of this.#sessions) s.destroy();
    for (const socket of [...this.#http1.sockets]) socket.destroy();
    this.#handler.close();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** A bounded label for `junction_tls_handshake_errors_total{reason}`. */
function handshakeFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM':
      return 'unknown_name'; // no certificate covers the name, and none is marked default
    case 'ERR_SSL_NO_SHARED_CIPHER':
      return 'no_shared_cipher';
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'protocol_version';
    case 'ERR_SSL_HTTP_REQUEST':
      return 'plain_http';
    case 'ECONNRESET':
      return 'reset';
    case 'ERR_TLS_HANDSHAKE_TIMEOUT':
      return 'timeout';
    default:
      return 'other';
  }
}
