import type { IncomingMessage } from 'node:http';
import { REQUEST_DROPPED, connectionNamed } from './hop-by-hop.js';

export interface ForwardedInfo {
  /** the X-Forwarded-For value to send (the peer, or a trusted proxy's chain plus the peer) */
  readonly forwardedFor: string;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
  /** the request's Host header, forwarded as is and reported in X-Forwarded-Host */
  readonly host: string | undefined;
}

/**
 * The headers sent upstream, as the flat `[name, value, name, value, ...]` list undici takes:
 * the client's headers in their order and case, minus hop-by-hop and `Connection`-named ones,
 * with `X-Forwarded-For/Proto/Host` set by Junction (see forwarded.ts for who may add to them) and
 * `x-request-id` kept or generated.
 */
export function upstreamRequestHeaders(req: IncomingMessage, info: ForwardedInfo): string[] {
  const raw = req.rawHeaders;
  const named = connectionNamed(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const lower = name.toLowerCase();
    if (REQUEST_DROPPED.has(lower) || (named !== undefined && named.has(lower))) continue;
    if (lower === 'x-request-id') continue;
    out.push(name, raw[i + 1] as string);
  }
  out.push('x-request-id', info.requestId, 'x-forwarded-for', info.forwardedFor, 'x-forwarded-proto', info.proto);
  if (info.host !== undefined) out.push('x-forwarded-host', info.host);
  return out;
}

/**
 * The same as `upstreamRequestHeaders`, from the header object a route's filters have edited
 * (lower-case names; arrays become repeated headers).
 */
export function upstreamRequestHeadersFromObject(headers: Record<string, string | string[] | undefined>, info: ForwardedInfo): string[] {
  const named = connectionNamed(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (REQUEST_DROPPED.has(lower) || lower === 'x-request-id' || (named !== undefined && named.has(lower))) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, String(v));
    else out.push(name, String(value));
  }
  out.push('x-request-id', info.requestId, 'x-forwarded-for', info.forwardedFor, 'x-forwarded-proto', info.proto);
  if (info.host !== undefined) out.push('x-forwarded-host', info.host);
  return out;
}
