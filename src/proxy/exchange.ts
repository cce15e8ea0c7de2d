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

function code(err: unknown): unknown {
  return err !== null && typeof err === 'object' ? (err as { code?: unknown }).code : undefined;
}

const BODY_TOO_LARGE = new HttpError('body_too_large', 'the request body is larger than this route accepts');
const REQUEST_TIMEOUT = new HttpError('request_timeout', 'the request body stopped arriving');

/** Bodies with a Content-Length up to this are read whole before a connection is taken. */
export const BUFFERED_BODY_BYTES = 64 * 1024;

function contentLength(req: { headers: { 'content-length'?: string } }): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

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
  /** dispatched, not yet given a connection */
  #waiting = false;
  #queueTimer: NodeJS.Timeout | undefined;
  /** the request body, when it was small enough to read whole first */
  #body: Buffer | undefined;

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
    this.backend.retry.budget.onRequest();
    if (this.hasBody) {
      const limit = this.filters?.fx.bodyLimit;
      if (limit !== undefined) this.#limitBody(limit);
      this.#watchBodyStall();
      const length = limit === undefined ? contentLength(this.arrival.req) : undefined;
      if (length !== undefined && length <= BUFFERED_BODY_BYTES) return this.#bufferBodyThenAttempt();
    }
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
      this.#waiting = true;
      try {
        const options: Dispatcher.DispatchOptions & { servername?: string } = {
          origin: server.upstream.origin,
          path: this.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: this.headers,
          body: this.#body ?? (this.hasBody ? req : null),
          headersTimeout: backend.headersTimeoutMs,
          bodyTimeout: backend.bodyTimeoutMs,
          // https: the server's TLS name, not one undici would take from Host (UpstreamTls)
          servername: server.upstream.tls?.dispatchName,
        };
        const accepted = server.upstream.pool.dispatch(options, this);
        // false: every connection of the pool is busy and the request waits in its queue
        if (!accepted && this.#waiting) this.#queueTimer = setTimeout(this.#onQueueTimeout, backend.queueTimeoutMs);
      } catch (err) {
        this.onError(err as Error);
      }
    });

  /**
   * The pool gave no connection within `timeouts.connectMs` (HAProxy's `timeout queue`): 503
   * `upstream_busy` now rather than waiting behind requests that hold every connection. The request
   * stays in undici's queue until a connection frees; it is aborted there before a byte is sent
   * (onConnect). Says nothing against the server: it is busy, not broken.
   */
  #onQueueTimeout = (): void => {
    this.#queueTimer = undefined;
    if (this.arrival.ended) return;
    this.#endNeutral();
    const server = this.#server;
    this.fail(new HttpError('upstream_busy', `every connection to server ${server.id} of backend ${this.backend.id} stayed busy for ${this.backend.queueTimeoutMs} ms`));
  };

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
    const streamed = this.hasBody && this.#body === undefined;
    if (this.#retries >= policy.attempts || streamed || res.headersSent || !IDEMPOTENT.has(req.method ?? '')) return undefined;
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
    this.#waiting = false;
    if (this.#queueTimer !== undefined) {
      clearTimeout(this.#queueTimer);
      this.#queueTimer = undefined;
    }
    // answered 503 while it waited for a connection: it goes no further
    if (this.arrival.ended) return abort(new Error('answered while waiting for a connection'));
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return this.#informational(statusCode, rawHeaders);
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
          this.arrival.writeHead(fr.status, fr.status === statusCode ? statusText || undefined : undefined, flatHeaders(fr.headers));
          this.#resume?.();
        },
        (err) => {
          this.#abort?.(err);
          this.fail(err);
        },
      );
    }
    this.arrival.writeHead(statusCode, statusText || undefined, headers);
    return true;
  }

  /**
   * A 1xx before the final answer (RFC 9110 §15.2: a proxy forwards them): 103 Early Hints with
   * its headers, 102 Processing; to HTTP/1.1 clients only (an HTTP/1.0 client takes none). A 100
   * Continue never gets here (undici takes none; Node's server answers the client's own
   * `Expect: 100-continue` itself).
   */
  #informational(statusCode: number, rawHeaders: Buffer[]): boolean {
    const { req, res } = this.arrival;
    if (res.headersSent || res.destroyed || (this.arrival.protocol === 'http/1.1' && req.httpVersionMinor < 1)) return true;
    if (statusCode === 103) {
      const hints: Record<string, string | string[]> = {};
      const flat = downstreamHeaders(rawHeaders, undefined);
      for (let i = 0; i < flat.length; i += 2) {
        const name = (flat[i] as string).toLowerCase();
        const value = flat[i + 1] as string;
        const prev = hints[name];
        hints[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
      }
      try {
        res.writeEarlyHints(hints);
      } catch {
        // a Link value Node will not write: the hints are dropped, the answer is not
      }
    } else if (statusCode === 102) res.writeProcessing();
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
    if (code(err) === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' && (this.#status === 204 || this.#status === 304)) {
      // RFC 9110 §8.6 lets a 204 or 304 carry the Content-Length of what it stands for; undici
      // counts it as a body it never got. There is no body: the answer is whole.
      res.end();
      this.tap?.done(true);
      this.#finish(this.#status);
      return;
    }
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

  /**
   * A request body that stalls longer than `timeouts.bodyMs` is cut: 408 `request_timeout` (when
   * no response started), the upstream request aborted, the connection closed. Slow uploads can
   * then not hold a backend's connections for ever.
   */
  /**
   * A small body (a Content-Length up to BUFFERED_BODY_BYTES) is read whole before a connection
   * is taken, as nginx's `proxy_request_buffering` does: a client that sends a little and stalls
   * then holds no upstream connection (the stall timer answers it 408, the upstream never knew),
   * and the body can be sent again on a retry.
   */
  #bufferBodyThenAttempt(): void {
    const req = this.arrival.req;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.resume(); // a tee's body copy pauses the request until the primary reads it: this reads it
    req.once('end', () => {
      if (this.#done) return;
      this.#body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      this.#attempt(this.#server);
    });
  }

  #watchBodyStall(): void {
    const req = this.arrival.req;
    req.setTimeout(this.backend.requestBodyTimeoutMs, this.#onBodyStall);
    req.once('end', () => req.setTimeout(0));
  }

  #onBodyStall = (): void => {
    const { req, res } = this.arrival;
    req.setTimeout(0);
    if (this.arrival.ended || req.complete) return;
    this.#endNeutral();
    if (res.headersSent) {
      res.destroy();
      this.#finish(REQUEST_TIMEOUT.status, REQUEST_TIMEOUT.code);
    } else {
      this.arrival.closeAfterAnswer();
      this.fail(REQUEST_TIMEOUT);
    }
    this.#abort?.(new Error('the request body stalled'));
  };

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
      this.arrival.closeAfterAnswer();
      this.#endNeutral();
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
    this.#endNeutral();
    this.#finish(CLIENT_CLOSED);
    this.#abort?.(new Error('client closed the connection'));
  };

  /**
   * The attempt ends for a reason that says nothing about the server (the client left, its body
   * stalled or grew too large, no connection was free in time): the breaker sees a success,
   * passive ejection nothing.
   */
  #endNeutral(): void {
    this.#settle(true, undefined, undefined);
    this.#endLoad(false);
  }

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
