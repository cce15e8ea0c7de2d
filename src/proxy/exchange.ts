import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { JunctionError } from '../errors/junction-error.js';
import { isGuardError } from '../canary/guard-window.js';
import { ProxyError } from '../errors/proxy-errors.js';
import { UpstreamStatusFailure } from '../health/breaker.js';
import { IDEMPOTENT } from './retry-policy.js';
import type { FilterChain } from '../filters/chain.js';
import type { FilterRequest } from '../filters/filter-exchange.js';
import { flatHeaders, headerObject } from '../filters/response-headers.js';
import type { FilterReply, FilterResponse } from '../filters/types.js';
import type { PrimaryTap } from '../tee/compare-pair.js';
import type { BackendRuntime, ChoiceSink, RouteRuntime, RouteTarget, ServerRuntime } from '../runtime/graph.js';
import { sendError } from './error-response.js';
import type { ProxyDeps } from './proxy-deps.js';
import { downstreamResponseHeaders } from './response-headers.js';
import { classifyUpstreamError } from './upstream-errors.js';

/** The status recorded when the client went away before the response was complete (nginx's 499). */
export const CLIENT_CLOSED = 499;

function ignore(): void {}

const BODY_TOO_LARGE = new ProxyError('body_too_large', 'the request body is larger than this route accepts');

/** A local reply's body: strings and bytes as they are, anything else as JSON. */
function encodeReplyBody(body: unknown): { body: Buffer; type: string | undefined } {
  if (body === undefined || body === null) return { body: Buffer.alloc(0), type: undefined };
  if (typeof body === 'string') return { body: Buffer.from(body), type: 'text/plain; charset=utf-8' };
  if (body instanceof Uint8Array) return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength), type: 'application/octet-stream' };
  return { body: Buffer.from(JSON.stringify(body)), type: 'application/json' };
}

/**
 * One request's trip through the proxy, and the undici dispatch handler for its upstream call.
 * One object per request holds all per-request state; its methods are the handler callbacks, so
 * forwarding allocates no closures beyond the two listeners on the response.
 */
export class Exchange implements Dispatcher.DispatchHandler, ChoiceSink {
  readonly start = performance.now();
  route: RouteRuntime | undefined;
  target: RouteTarget | undefined;
  backend: BackendRuntime | undefined;
  /** a Set-Cookie value the route's chooser wants on the response (sticky canary) */
  setCookie: string | undefined = undefined;
  /** the primary response's digest, when a tee of the route compares */
  tap: PrimaryTap | undefined = undefined;
  /** the route's filters and the request as they see it (routes with filters only) */
  chain: FilterChain | undefined = undefined;
  fx: FilterRequest | undefined = undefined;
  /** how many filters' onRequest ran (their onResponse run, in reverse) */
  filtersRan = 0;
  server: ServerRuntime | undefined;
  status = 0;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #upstreamStart = 0;
  #loadOpen = false;
  #done = false;
  #path = '';
  #headers: string[] = [];
  #hasBody = false;
  #retries = 0;
  #tried: Set<string> | undefined;
  /** set while a retryable answer is being read and dropped: the server to try next */
  #retryNext: ServerRuntime | undefined;
  #settleOk: (() => void) | undefined;
  #settleFail: ((err?: Error) => void) | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly clientIp: string,
    private readonly deps: ProxyDeps,
  ) {
    deps.inFlight.count++;
  }

  /** Listens for the client going away (before forwarding, e.g. while filters run). */
  watchClient(): void {
    this.res.on('close', this.#onClientClose);
  }

  get done(): boolean {
    return this.#done;
  }

  /**
   * Sends the request to `server` and streams the answer back. Each attempt goes through the
   * server's breaker; failures before any response byte may be retried on another server (see
   * #retryTarget).
   */
  forward(server: ServerRuntime, path: string, headers: string[], hasBody: boolean): void {
    this.#path = path;
    this.#headers = headers;
    this.#hasBody = hasBody;
    if (this.chain === undefined) this.res.on('close', this.#onClientClose);
    const limit = this.fx?.bodyLimit;
    if (limit !== undefined && hasBody) this.#limitBody(limit);
    (this.backend as BackendRuntime).retry.budget.onRequest();
    this.#attempt(server);
  }

  #attempt(server: ServerRuntime): void {
    this.server = server;
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
      const server = this.server as ServerRuntime;
      const backend = this.backend as BackendRuntime;
      server.load.begin();
      this.#loadOpen = true;
      this.#upstreamStart = performance.now();
      try {
        server.upstream.pool.dispatch(
          {
            origin: server.upstream.origin,
            path: this.#path,
            method: this.req.method as Dispatcher.HttpMethod,
            headers: this.#headers,
            body: this.#hasBody ? this.req : null,
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
    const backend = this.backend as BackendRuntime;
    this.fail(new ProxyError('no_server', `backend ${backend.id} has no available server`));
  };

  /**
   * Reports an attempt's outcome once: to its breaker (the attempt's promise: 5xx answers and
   * transport failures count against it) and to passive ejection (transport failures only: a
   * server that answers, even 500, is reachable).
   */
  #settle(ok: boolean, failure?: Error): void {
    if (this.#settleOk === undefined) return;
    const server = this.server;
    if (ok) this.#settleOk();
    else this.#settleFail?.(failure);
    this.#settleOk = this.#settleFail = undefined;
    server?.health?.record(!(failure !== undefined && !(failure instanceof UpstreamStatusFailure)));
  }

  /**
   * Another server for a retry, or undefined. Retries happen only for idempotent methods without a
   * request body, never after a response byte went to the client, at most `retry.attempts` times,
   * each on a server not tried yet, and within the backend's retry budget.
   */
  #retryTarget(): ServerRuntime | undefined {
    const backend = this.backend as BackendRuntime;
    const policy = backend.retry;
    if (this.#retries >= policy.attempts || this.#hasBody || this.res.headersSent || !IDEMPOTENT.has(this.req.method ?? '')) return undefined;
    if (!policy.budget.canRetry()) return undefined;
    const tried = (this.#tried ??= new Set<string>());
    if (this.server !== undefined) tried.add(this.server.id);
    const next = backend.balancer.pick({ headers: this.req.headers, clientIp: this.clientIp, exclude: tried });
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
    this.#settle(statusCode < 500, statusCode < 500 ? undefined : new UpstreamStatusFailure(statusCode));
    if ((this.backend as BackendRuntime).retry.retriesStatus(statusCode)) {
      const next = this.#retryTarget();
      if (next !== undefined) {
        // read and drop this answer, then try the next server
        this.#retryNext = next;
        return true;
      }
    }
    this.status = statusCode;
    this.#resume = resume;
    const res = this.res;
    if (res.destroyed) return false;
    this.tap?.digest.onHeaders(statusCode, rawHeaders);
    const headers = downstreamResponseHeaders(rawHeaders, this.requestId);
    if (this.setCookie !== undefined) headers.push('set-cookie', this.setCookie);
    res.on('drain', this.#onDrain);
    if (this.chain?.hasResponse === true && this.filtersRan > 0) {
      return this.#respondThroughFilters({ status: statusCode, headers: headerObject(headers) }, statusText, undefined);
    }
    res.writeHead(statusCode, statusText || undefined, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#retryNext !== undefined) return true;
    this.tap?.digest.onData(chunk);
    return this.res.write(chunk);
  }

  onComplete(): void {
    const next = this.#retryNext;
    if (next !== undefined) {
      this.#retryNext = undefined;
      if (!this.#done) this.#attempt(next);
      return;
    }
    this.res.end();
    this.tap?.done(true);
    this.#finish(this.status);
  }

  onError(err: Error): void {
    this.#endLoad(true);
    this.#settle(false, err);
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
    const { kind, error } = classifyUpstreamError(err);
    if (this.res.destroyed || (this.req.destroyed && !this.req.complete)) {
      this.tap?.done(false);
      this.#finish(CLIENT_CLOSED);
      return;
    }
    this.deps.metrics.upstreamErrors.labels(this.backend?.id ?? '', kind).inc();
    if ((this.backend as BackendRuntime).retry.retriesKind(kind)) {
      const retry = this.#retryTarget();
      if (retry !== undefined) return this.#attempt(retry);
    }
    this.tap?.done(false);
    if (this.res.headersSent) {
      this.res.destroy(err);
      this.#finish(this.status || error.status, kind);
      return;
    }
    this.fail(error, kind);
  }

  // ---- filters ----

  /** Answers with a filter's local reply, through the response filters of those that ran. */
  replyLocally(reply: FilterReply): void {
    const { body, type } = encodeReplyBody(reply.body);
    const headers = headerObject(flatHeaders(reply.headers ?? {}));
    if (type !== undefined && headers['content-type'] === undefined) headers['content-type'] = type;
    headers['content-length'] = String(body.length);
    if (headers['x-request-id'] === undefined) headers['x-request-id'] = this.requestId;
    this.#respondThroughFilters({ status: reply.status, headers }, undefined, body);
  }

  /**
   * Runs the response filters, then writes the head (and the body, for a local reply). Returns
   * false while asynchronous filters run (undici pauses the upstream body meanwhile).
   */
  #respondThroughFilters(fr: FilterResponse, statusText: string | undefined, body: Buffer | undefined): boolean {
    const chain = this.chain as FilterChain;
    const status = fr.status;
    const write = (): void => {
      if (this.#done || this.res.destroyed) return;
      this.status = fr.status;
      this.res.writeHead(fr.status, fr.status === status ? statusText || undefined : undefined, flatHeaders(fr.headers));
      if (body !== undefined) {
        this.res.end(this.req.method === 'HEAD' ? undefined : body);
        this.#finish(fr.status, 'local');
      }
    };
    const failed = (err: unknown): void => {
      this.#abort?.(err as Error);
      this.fail(err as JunctionError);
    };
    let r: void | Promise<void>;
    try {
      r = chain.runResponse(this.fx as FilterRequest, fr, this.filtersRan);
    } catch (err) {
      failed(err);
      return false;
    }
    if (r === undefined) {
      write();
      return true;
    }
    r.then(() => {
      write();
      this.#resume?.();
    }, failed);
    return false;
  }

  #limitBody(limit: number): void {
    const req = this.req;
    let seen = 0;
    req.pause(); // undici resumes it when it starts sending; until then nothing flows past the count
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen <= limit) return;
      req.off('data', onData);
      req.pause();
      // nothing more of this body is read: the connection closes once the 413 is out
      if (!this.res.headersSent) this.res.setHeader('connection', 'close');
      const socket = req.socket as typeof req.socket | null;
      this.res.once('finish', () => socket?.destroy());
      this.fail(BODY_TOO_LARGE);
      this.#abort?.(new Error('request body over the limit'));
    };
    req.on('data', onData);
  }

  // ---- ending ----

  /** Answers with a Junction error (404, 502, 503, ...) and records it. */
  fail(err: JunctionError, detail?: string): void {
    if (this.#done) return;
    sendError(this.res, err, this.requestId);
    this.#finish(err.status, detail ?? err.code);
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
    this.server?.load.end(performance.now() - this.#upstreamStart, failed);
  }

  #finish(status: number, detail?: string): void {
    if (this.#done) return;
    this.#done = true;
    this.deps.inFlight.count--;
    this.status = status;
    const elapsedMs = performance.now() - this.start;
    const target = this.target;
    if (target !== undefined) {
      target.series.record(status, elapsedMs / 1000);
      if (target.guard !== undefined && status !== CLIENT_CLOSED) target.guard.record(isGuardError(status));
    } else this.deps.unroutedSeries.record(status, elapsedMs / 1000);
    const route = this.route;
    const access = this.deps.accessLog;
    if (access !== undefined) {
      const req = this.req;
      access.record({
        reqId: this.requestId,
        ip: this.clientIp,
        method: req.method,
        host: req.headers.host,
        url: req.url,
        status,
        ms: elapsedMs,
        route: route?.id,
        backend: this.backend?.id,
        server: this.server?.id,
        detail,
      });
    }
  }
}
