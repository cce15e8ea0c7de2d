import type { IncomingMessage } from 'node:http';
import type { FilterExchange, HeaderValue } from './types.js';

/** The request as the route's filters see and change it (built only for routes with filters). */
export class FilterRequest implements FilterExchange {
  readonly method: string;
  path: string;
  query: string;
  readonly headers: Record<string, HeaderValue>;
  readonly clientIp: string;
  readonly routeId: string;
  readonly requestId: string;
  readonly contentLength: number | undefined;
  readonly scratch = new Map<string, unknown>();
  bodyLimit: number | undefined;

  /**
   * `named`: the headers the client's `Connection` names, left out of what the filters see (and so
   * of what goes upstream); `host`: an absolute-form target's authority, which replaces Host.
   */
  constructor(
    req: IncomingMessage,
    path: string,
    query: string,
    clientIp: string,
    routeId: string,
    requestId: string,
    named?: ReadonlySet<string>,
    host?: string,
  ) {
    this.method = req.method ?? 'GET';
    this.path = path;
    this.query = query;
    this.headers = { ...req.headers };
    if (named !== undefined) for (const name of named) delete this.headers[name];
    if (host !== undefined) this.headers.host = host;
    this.clientIp = clientIp;
    this.routeId = routeId;
    this.requestId = requestId;
    const len = req.headers['content-length'];
    this.contentLength = len === undefined ? undefined : Number(len);
  }

  limitBody(bytes: number): void {
    this.bodyLimit = this.bodyLimit === undefined ? bytes : Math.min(this.bodyLimit, bytes);
  }
}
