import type { IncomingMessage } from 'node:http';
import type { FilterExchange, HeaderValue } from './types.js';

/** The request as the route's filters see and change it (built only for routes with filters). */
export class FilterRequest implements FilterExchange {
  readonly method: string;
  path: string;
  query: string;
  readonly headers: Record<string, HeaderValue>;
  readonly clientIp: string;
  readonly scheme: 'http' | 'https';
  readonly routeId: string;
  readonly requestId: string;
  readonly contentLength: number | undefined;
  readonly scratch = new Map<string, unknown>();
  bodyLimit: number | undefined;

  /** `headers`: what the filters see and edit (see filterHeaders in src/http/header-policy.ts) */
  constructor(
    req: IncomingMessage,
    path: string,
    query: string,
    clientIp: string,
    scheme: 'http' | 'https',
    routeId: string,
    requestId: string,
    headers: Record<string, HeaderValue>,
  ) {
    this.method = req.method ?? 'GET';
    this.path = path;
    this.query = query;
    this.headers = headers;
    this.clientIp = clientIp;
    this.scheme = scheme;
    this.routeId = routeId;
    this.requestId = requestId;
    const len = req.headers['content-length'];
    this.contentLength = len === undefined ? undefined : Number(len);
  }

  limitBody(bytes: number): void {
    this.bodyLimit = this.bodyLimit === undefined ? bytes : Math.min(this.bodyLimit, bytes);
  }
}
