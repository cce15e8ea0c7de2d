/**
 * The filter contract (docs/filters.md), for filter authors. A filter module is an ES
 * module whose default export is a `FilterModule`:
 *
 * ```js
 * export default {
 *   type: 'teapot',
 *   schema: { type: 'object', properties: { paths: { type: 'array', items: { type: 'string' } } } },
 *   create(config, ctx) {            // once per configuration of this filter, not per request
 *     return {
 *       onRequest(ex) { if (config.paths.includes(ex.path)) return { status: 418, body: "I'm a teapot" }; },
 *       onResponse(ex, res) { res.headers['x-teapot'] = 'checked'; },
 *       close() {},
 *     };
 *   },
 * };
 * ```
 * TypeScript authors: `import type { FilterModule } from 'junction/filter'`.
 */

export type HeaderValue = string | string[] | undefined;

/** What a filter sees of a request, and may change before it goes upstream. */
export interface FilterExchange {
  readonly method: string;
  /** the normalized path, without the query; assign to rewrite what the upstream receives */
  path: string;
  /** the query string including its `?`, or ''; assignable */
  query: string;
  /** request headers, lower-case names, as sent upstream: set, change or delete entries */
  readonly headers: Record<string, HeaderValue>;
  /** the client address (IPv4-mapped IPv6 shown as IPv4) */
  readonly clientIp: string;
  /**
   * `https` when the request came over TLS — to Junction's TLS listener, or, behind a trusted
   * proxy, with its `X-Forwarded-Proto: https` — else `http`
   */
  readonly scheme: 'http' | 'https';
  readonly routeId: string;
  readonly requestId: string;
  /** the request's Content-Length, when it has one */
  readonly contentLength: number | undefined;
  /** per-request storage shared by the route's filters (e.g. onRequest → onResponse) */
  readonly scratch: Map<string, unknown>;
  /**
   * Caps the request body at `bytes`: a body that streams past it is cut off and answered
   * `413 body_too_large` (the upstream request is aborted). For bodies without Content-Length.
   */
  limitBody(bytes: number): void;
}

/** A local answer from `onRequest`: the chain stops and the upstream is not called. */
export interface FilterReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string | number | readonly string[]>>;
  /** a string or bytes as is; anything else is sent as JSON */
  readonly body?: unknown;
}

/** The response on its way to the client: status and headers may be changed in `onResponse`. */
export interface FilterResponse {
  status: number;
  /** lower-case names; repeated headers (set-cookie) are arrays */
  readonly headers: Record<string, HeaderValue>;
}

export type Awaitable<T> = T | Promise<T>;

export interface FilterInstance {
  /** return nothing to continue, or a reply to answer here */
  onRequest?(ex: FilterExchange): Awaitable<FilterReply | undefined | void>;
  /** runs in reverse order, for the filters whose onRequest ran */
  onResponse?(ex: FilterExchange, res: FilterResponse): Awaitable<void>;
  /** releases what create() took (timers, sockets); called once the instance is replaced */
  close?(): Awaitable<void>;
}

export interface FilterLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface FilterContext {
  /** the FilterSpec id (`P/filters/<id>`) this instance serves */
  readonly id: string;
  readonly logger: FilterLogger;
  /** milliseconds, monotonic enough for rate limits (Date.now by default) */
  now(): number;
}

export interface FilterModule<C = any> {
  /** the name FilterSpec.type refers to */
  readonly type: string;
  /** a JSON Schema for `config` (validated with ajv before create) */
  readonly schema?: object;
  create(config: C, ctx: FilterContext): FilterInstance;
}
