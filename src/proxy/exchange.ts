import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { CLIENT_CLOSED, type Arrival } from '../admission/arrival.js';
import { respondThroughFilters } from '../admission/filter-response.js';
import type { Admitted, FilterRun } from '../admission/forwarding.js';
import type { BackendRuntime } from '../contracts/backend.js';
import type { RouteRuntime, RouteTarget } from '../contracts/route.js';
import type { ServerRuntime } from '../contracts/server.js';
import type { ResponseTap } from '../contracts/tee.js';
import { HttpError } from '../errors/junction-error.js';
import { flatHeaders, headerObject } from '../filters/response-headers.js';
import { UpstreamStatusFailure } from '../health/breaker.js';
import { downstreamHeaders } from '../http/header-policy.js';
import type { ProxyDeps } from './proxy-deps.js';
import { IDEMPOTENT } from './retry-policy.js';
import { classifyUpstreamError, countsAsUnreachable } from './upstream-errors.js';

function ignore(): void {}

const BODY_TOO_LARGE = new HttpError('body_too_large', 'the request body is larger than this route accepts');

/**
 * One admitted request's trip upstream over HTTP, and the undici dispatch handler for it. It is
 * made once admission has decided the route, target and first server, and holds the per-attempt
 * state; its methods are the handler callbacks, so forwarding allocates no closures beyond the
 * listeners on the response.
 */
export class Exchange implements Dispatcher.DispatchHandler {
  readonly arrival: Arrival;
  readonly route: RouteRuntime;
  readonly target: RouteTarget;
  readonly backend: BackendRuntime;
  readonly filters: FilterRun | undefined;
  /** path and query as sent upstream */
  readonly path: string;
  readonly headers: string[];
  readonly hasBody: boolean;
  /** the primary response's digest, when a tee of the route compares */
  readonly tap: ResponseTap | undefined;
  #server: ServerRuntime;
  #status = 0;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #upstreamStart = 0;
  #loadOpen = false;
  #retries = 0;
  #tried: Set<string> | undefined;
  /** set while a retryable answer is being read and dropped: the server to try next */
  #retryNext: ServerRuntime | undefined;
  #settleOk: (() => void) | undefined;
  #settleFail: ((err?: Error) => void) | undefined;

  constructor(
    admitted: Admitted,
    hasBody: boolean,
    tap: ResponseTap | undefined,
    private readonly deps: ProxyDeps,
  ) {
    this.arrival = admitted.arrival;
    this.route = admitted.route;
    this.target = admitted.target;
    this.backend = admitted.target.backend;
    this.filters = admitted.filters;
    this.path = admitted.path;
    this.headers = admitted.headers;
    this.#server = admitted.server;
    this.hasBody = hasBody;
    this.tap = tap;
  }

  /** the server of the current (or last) attempt */
  get server(): ServerRuntime {
    return this.#server;
  }

  get #done(): boolean {
    return this.arrival.ended;
  }

  /**
   * Sends the request to the first server and streams the answer back. Each attempt goes through
   * the server's breaker; failures before any response byte may be retried on another server (see
   * #retryTarget).
   */
  start(): void {
    this.arrival.res.on('close', this.#onClientClose);
    const limit = this.filters?.fx.bodyLimit;
    if (limit !== undefined && this.hasBody) this.#limitBody(limit);
    this.backend.retry.budget.onRequest();
    this.#attempt(this.#server);
  }

  #attempt(server: ServerRuntime): void {
    this.#server = server;
    this.#abort = undefined;
    const breaker = server.health?.breaker;
    if (breaker === undefined) this.#send().catch(ignore);
    else breaker.fire(this.#send).catch(this.#onBreakerReject);
  }

  /** one attempt: settles (for the breaker) when the response headers arrive or the attempt fails */
  #send = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.#settleOk = resolve;
      this.#settleFail = reject;
      const server = this.#server;
      const backend = this.backend;
      const req = this.arrival.req;
      server.load.begin();
      this.#loadOpen = true;
      this.#upstreamStart = performance.now();
      try {
        server.upstream.pool.dispatch(
          {
            origin: server.upstream.origin,
            path: this.path,
            method: req.method as Dispatcher.HttpMethod,
            headers: this.headers,
            body: this.hasBody ? req : null,
            headersTimeout: backend.headersTimeoutMs,
            bodyTimeout: backend.bodyTimeoutMs,
          },
          this,
        );
      } catch (err) {
        this.onError(err as Error);
      }
    });

  /** The breaker refused the attempt (it opened between the pick and the send): another server, or 503. */
  #onBreakerReject = (err: { code?: string } | undefined): void => {
    if (err?.code !== 'EOPENBREAKER' && err?.code !== 'ESHUTDOWN') return; // attempt failures are handled where they happen
    if (this.#done) return;
    const next = this.#retryTarget();
    if (next !== undefined) return this.#attempt(next);
    this.fail(new HttpError('no_server', `backend ${this.backend.id} has no available server`));
  };

  /**
   * Reports an attempt's outcome once: to its breaker (the attempt's promise: 5xx answers and
   * failures count against it) and to passive ejection (`reachable`: false only for failures that
   * say the server cannot be reached; a server that answers, even 500 or something undici
   * refuses, is reachable; undefined records nothing, for a request undici refused before sending).
   */
  #settle(ok: boolean, failure: Error | undefined, reachable: boolean | undefined): void {
    if (this.#settleOk === undefined) return;
    if (ok) this.#settleOk();
    else this.#settleFail?.(failure);
    this.#settleOk = this.#settleFail = undefined;
    if (reachable !== undefined) this.#server.health?.record(reachable);
  }

  /**
   * Another server for a retry, or undefined. Retries happen only for idempotent methods without a
   * request body, never after a response byte went to the client, at most `retry.attempts` times,
   * each on a server not tried yet, and within the backend's retry budget.
   */
  #retryTarget(): ServerRuntime | undefined {
    const backend = this.backend;
    const policy = backend.retry;
    const { req, res } = this.arrival;
    if (this.#retries >= policy.attempts || this.hasBody || res.headersSent || !IDEMPOTENT.has(req.method ?? '')) return undefined;
    if (!policy.budget.canRetry()) return undefined;
    const tried = (this.#tried ??= new Set<string>());
    tried.add(this.#server.id);
    const next = backend.balancer.pick({ headers: req.headers, clientIp: this.arrival.clientIp, exclude: tried });
    if (next === undefined) return undefined;
    this.#retries++;
    policy.budget.onRetry();
    return next;
  }

  // ---- undici DispatchHandler (legacy form: raw header buffers, the fastest path in undici 7) ----

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx informational: Node's server handles 100-continue itself
    this.#endLoad(false);
    this.#settle(statusCode < 500, statusCode < 500 ? undefined : new UpstreamStatusFailure(statusCode), true);
    if (this.backend.retry.retriesStatus(statusCode)) {
      const next = this.#retryTarget();
      if (next !== undefined) {
        // read and drop this answer, then try the next server
        this.#retryNext = next;
        return true;
      }
    }
    this.#status = statusCode;
    this.#resume = resume;
    const { res, requestId, setCookie } = this.arrival;
    if (res.destroyed) return false;
    this.tap?.digest.onHeaders(statusCode, rawHeaders);
    const headers = downstreamHeaders(rawHeaders, requestId);
    if (setCookie !== undefined) headers.push('set-cookie', setCookie);
    res.on('drain', this.#onDrain);
    const filters = this.filters;
    if (filters !== undefined && filters.chain.hasResponse && filters.ran > 0) {
      const fr = { status: statusCode, headers: headerObject(headers) };
      return respondThroughFilters(
        filters,
        fr,
        () => {
          if (this.#done || res.destroyed) return;
          this.#status = fr.status;
          res.writeHead(fr.status, fr.status === statusCode ? statusText || undefined : undefined, flatHeaders(fr.headers));
          this.#resume?.();
        },
        (err) => {
          this.#abort?.(err);
          this.fail(err);
        },
      );
    }
    res.writeHead(statusCode, statusText || undefined, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#retryNext !== undefined) return true;
    this.tap?.digest.onData(chunk);
    return this.arrival.res.write(chunk);
  }

  onComplete(): void {
    const next = this.#retryNext;
    if (next !== undefined) {
      this.#retryNext = undefined;
      if (!this.#done) this.#attempt(next);
      return;
    }
    this.arrival.res.end();
    this.tap?.done(true);
    this.#finish(this.#status);
  }

  onError(err: Error): void {
    this.#endLoad(true);
    const { kind, error } = classifyUpstreamError(err);
    // undici refused the request before anything was sent: it says nothing about the server
    if (kind === 'local') this.#settle(true, undefined, undefined);
    else this.#settle(false, err, !countsAsUnreachable(kind));
    const next = this.#retryNext;
    if (next !== undefined) {
      // the dropped answer broke off: go on to the retry anyway
      this.#retryNext = undefined;
      if (!this.#done) this.#attempt(next);
      return;
    }
    if (this.#done) {
      this.tap?.done(false);
      return;
    }
    const { req, res } = this.arrival;
    if (res.destroyed || (req.destroyed && !req.complete)) {
      this.tap?.done(false);
      this.#finish(CLIENT_CLOSED);
      return;
    }
    this.deps.metrics.upstreamErrors.labels(this.backend.id, kind).inc();
    if (this.backend.retry.retriesKind(kind)) {
      const retry = this.#retryTarget();
      if (retry !== undefined) return this.#attempt(retry);
    }
    this.tap?.done(false);
    if (res.headersSent) {
      res.destroy(err);
      this.#finish(this.#status || error.status, kind);
      return;
    }
    this.fail(error, kind);
  }

  #limitBody(limit: number): void {
    const { req, res } = this.arrival;
    let seen = 0;
    req.pause(); // undici resumes it when it starts sending; until then nothing flows past the count
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen <= limit) return;
      req.off('data', onData);
      req.pause();
      // nothing more of this body is read: the connection closes once the 413 is out
      if (!res.headersSent) res.setHeader('connection', 'close');
      const socket = req.socket as typeof req.socket | null;
      res.once('finish', () => socket?.destroy());
      this.fail(BODY_TOO_LARGE);
      this.#abort?.(new Error('request body over the limit'));
    };
    req.on('data', onData);
  }

  // ---- ending ----

  /** Answers with a Junction error (502, 503, 504, 413, ...) and records it. */
  fail(err: HttpError, detail?: string): void {
    this.arrival.fail(err, this.route, this.target, this.#server, detail);
  }

  #onDrain = (): void => {
    this.#resume?.();
  };

  #onClientClose = (): void => {
    if (this.#done) return;
    // The client left: that says nothing about the server. Close the attempt as a success for the
    // breaker and record nothing for passive ejection, then stop the upstream request.
    this.#settleOk?.();
    this.#settleOk = this.#settleFail = undefined;
    this.#endLoad(false);
    this.#finish(CLIENT_CLOSED);
    this.#abort?.(new Error('client closed the connection'));
  };

  #endLoad(failed: boolean): void {
    if (!this.#loadOpen) return;
    this.#loadOpen = false;
    this.#server.load.end(performance.now() - this.#upstreamStart, failed);
  }

  #finish(status: number, detail?: string): void {
    this.#status = status;
    this.arrival.end(status, this.route, this.target, this.#server, detail);
  }
}
