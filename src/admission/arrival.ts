import type { IncomingMessage, ServerResponse } from 'node:http';
import { Http2ServerRequest, constants as h2 } from 'node:http2';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { isGuardError } from '../canary/guard-window.js';
import type { Graph } from '../contracts/graph.js';
import type { ChoiceSink, RouteRuntime, RouteTarget } from '../contracts/route.js';
import type { ServerRuntime } from '../contracts/server.js';
import { sendError } from '../errors/error-response.js';
import type { HttpError } from '../errors/junction-error.js';
import { forwardedOf, type Forwarded, type TrustFn } from '../http/forwarded.js';
import { requestIdOf } from '../http/request-id.js';
import type { AccessLog } from '../observability/access-log.js';
import type { ProtocolCounts } from '../observability/protocol-counts.js';
import type { PathOptions } from '../routing/normalize-path.js';
import type { RouteSeries } from '../observability/route-series.js';

const { NGHTTP2_NO_ERROR } = h2;

/** The status recorded when the client went away before the response was complete (nginx's 499). */
export const CLIENT_CLOSED = 499;

/** What admitting and recording a request needs from the rest of Junction, built once at start-up. */
export interface AdmissionDeps {
  /** holds the current graph; a request reads it once, when it arrives */
  readonly switcher: { readonly current: Graph | undefined };
  /** series for requests no route took (route "" backend "") */
  readonly unroutedSeries: RouteSeries;
  readonly logger: Logger;
  /** the access log, or undefined when it is off */
  readonly accessLog: AccessLog | undefined;
  /** requests being answered right now (graceful shutdown waits for it to reach 0) */
  readonly inFlight: { count: number };
  /** `--trusted-proxies`: peers whose X-Forwarded-* are kept (undefined: nobody's) */
  readonly trust: TrustFn | undefined;
  /** the listener's scheme, sent as X-Forwarded-Proto */
  readonly proto: 'http' | 'https';
  /** `--merge-slashes`, `--escaped-slashes` */
  readonly paths: PathOptions;
  /** requests by protocol (`junction_http_requests_by_protocol_total`) */
  readonly protocols: ProtocolCounts;
  /** the key authorizations of ACME HTTP-01 challenges, answered before any route (docs/tls.md) */
  readonly challenges: ChallengeLookup | undefined;
}

/** A token's key authorization (undefined: no such challenge). */
export interface ChallengeLookup {
  lookup(token: string): string | undefined | Promise<string | undefined>;
}

export type Protocol = 'http/1.1' | 'h2';

/** `:authority`, or a Host an HTTP/2 client sent instead (RFC 9113 §8.3.1). */
function authorityOf(req: IncomingMessage): string | undefined {
  const a = req.headers[':authority'];
  return typeof a === 'string' ? a : req.headers.host;
}

/**
 * A request from the moment it arrives to the moment it is recorded, whatever protocol carried it
 * and however it ends: refused by admission, answered by a filter, forwarded. It counts the
 * request in flight, holds what every ending needs (start time, request id, client address) and
 * records the request exactly once: its metric series, the canary guard, the access log.
 * It is also where the route's chooser leaves a sticky cookie for the response.
 */
export class Arrival implements ChoiceSink {
  readonly start = performance.now();
  readonly requestId: string;
  /** `h2`, or `http/1.1` (HTTP/1.0 included) */
  readonly protocol: Protocol;
  /** the request's host as the client named it: `:authority` (HTTP/2), or Host */
  readonly host: string | undefined;
  readonly forwarded: Forwarded;
  /** a Set-Cookie value the route's chooser wants on the response (sticky canary) */
  setCookie: string | undefined = undefined;
  #inFlight = true;
  #ended = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly deps: AdmissionDeps,
  ) {
    this.requestId = requestIdOf(req.headers['x-request-id']);
    // by what carried it, not by the version a request line claims (`GET / HTTP/2.0` is refused)
    this.protocol = (req as unknown) instanceof Http2ServerRequest ? 'h2' : 'http/1.1';
    this.host = this.protocol === 'h2' ? authorityOf(req) : req.headers.host;
    this.forwarded = forwardedOf(req, deps.trust, deps.proto, this.host, this.requestId);
    deps.inFlight.count++;
    deps.protocols.count(this.protocol);
  }

  get clientIp(): string {
    return this.forwarded.clientIp;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * No longer in flight, though not yet recorded: an upgrade once its tunnel is open (graceful
   * shutdown waits for requests, not for tunnels).
   */
  release(): void {
    if (!this.#inFlight) return;
    this.#inFlight = false;
    this.deps.inFlight.count--;
  }

  /** Writes the response head; HTTP/2 has no reason phrase (Node warns when given one). */
  writeHead(status: number, statusText: string | undefined, headers: string[]): void {
    if (this.protocol === 'h2') this.res.writeHead(status, headers);
    else this.res.writeHead(status, statusText, headers);
  }

  /**
   * After this answer, nothing more is read from the client for this request: HTTP/1.1 closes the
   * connection (`Connection: close`, then the socket), HTTP/2 resets just this stream (RFC 9113
   * §8.1: a complete response before the request body ends), never the session.
   */
  closeAfterAnswer(): void {
    const { req, res } = this;
    if (this.protocol === 'h2') {
      const stream = (req as unknown as { stream?: { close(code?: number): void } }).stream;
      res.once('finish', () => stream?.close(NGHTTP2_NO_ERROR));
      return;
    }
    if (!res.headersSent) res.setHeader('connection', 'close');
    const socket = req.socket as typeof req.socket | null;
    res.once('finish', () => socket?.destroy());
  }

  /** Answers with a Junction error and records it. */
  fail(err: HttpError, route?: RouteRuntime, target?: RouteTarget, server?: ServerRuntime, detail?: string): void {
    if (this.#ended) return;
    sendError(this.res, err, this.requestId);
    this.end(err.status, route, target, server, detail ?? err.code);
  }

  /** Records the request, once: later calls do nothing. */
  end(status: number, route?: RouteRuntime, target?: RouteTarget, server?: ServerRuntime, detail?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.release();
    const elapsedMs = performance.now() - this.start;
    if (target !== undefined) {
      target.series.record(status, elapsedMs / 1000);
      if (target.guard !== undefined && status !== CLIENT_CLOSED) target.guard.record(isGuardError(status));
    } else this.deps.unroutedSeries.record(status, elapsedMs / 1000);
    const access = this.deps.accessLog;
    if (access !== undefined) {
      const req = this.req;
      access.record({
        reqId: this.requestId,
        ip: this.forwarded.clientIp,
        method: req.method,
        host: this.host,
        protocol: this.protocol,
        url: req.url,
        status,
        ms: elapsedMs,
        route: route?.id,
        backend: target?.backend.id,
        server: server?.id,
        detail,
      });
    }
  }
}
