import type { IncomingMessage, ServerResponse } from 'node:http';
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
import type { PathOptions } from '../routing/normalize-path.js';
import type { RouteSeries } from '../observability/route-series.js';

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
    this.forwarded = forwardedOf(req, deps.trust, deps.proto, req.headers.host, this.requestId);
    deps.inFlight.count++;
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
        host: req.headers.host,
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
