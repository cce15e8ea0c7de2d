import type { ForwardedInfo } from './forwarded.js';
import { HOP_BY_HOP, REQUEST_DROPPED, UNTRUSTED_DROPPED, connectionNamed } from './hop-by-hop.js';

/**
 * Junction's one header policy, for every way a request is forwarded (plain HTTP, upgrades):
 * upstream, the client's headers minus hop-by-hop and `Connection`-named ones, with
 * `X-Forwarded-For/Proto/Host` set by Junction (forwarded.ts says who may add to them) and
 * `x-request-id` kept or generated; downstream, the upstream's headers minus the same.
 * Headers travel as the flat `[name, value, name, value, ...]` list undici and `writeHead` take.
 */

export type HeaderValue = string | string[] | undefined;

/**
 * The upstream request headers from the client's raw headers, in their order and case: without
 * HTTP/2 pseudo-headers and the headers the client's `Connection` names (`named`, see
 * namedByClient), and with `host` first as the Host when given (an HTTP/2 request's `:authority`,
 * or an absolute-form target's authority, which replace any Host the client sent).
 */
export function upstreamHeadersFromRaw(raw: readonly string[], named: ReadonlySet<string> | undefined, info: ForwardedInfo, host?: string): string[] {
  const dropped = info.trusted ? REQUEST_DROPPED : UNTRUSTED_DROPPED;
  const out: string[] = host === undefined ? [] : ['host', host];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 0x3a /* ':' pseudo-header */) continue;
    const lower = name.toLowerCase();
    if (dropped.has(lower) || lower === 'x-request-id' || (named !== undefined && named.has(lower))) continue;
    if (host !== undefined && lower === 'host') continue;
    out.push(name, raw[i + 1] as string);
  }
  return appendForwarded(out, info);
}

/**
 * The request headers a route's filters see and edit: the client's, as an object with lower-case
 * names, without pseudo-headers and the headers its `Connection` names, with `host` as the Host
 * when given (see upstreamHeadersFromRaw).
 */
export function filterHeaders(headers: Readonly<Record<string, HeaderValue>>, named: ReadonlySet<string> | undefined, host: string | undefined): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const name in headers) {
    if (name.charCodeAt(0) === 0x3a || (named !== undefined && named.has(name))) continue;
    out[name] = headers[name];
  }
  if (host !== undefined) out.host = host;
  return out;
}

/**
 * The same, from the header object a route's filters have edited (arrays become repeated
 * headers). The client's `Connection`-named headers were taken out before the filters ran, so
 * what the filters added (`x-junction-user`...) is never removed by a client.
 */
export function upstreamHeadersFromObject(headers: Readonly<Record<string, HeaderValue>>, info: ForwardedInfo): string[] {
  const dropped = info.trusted ? REQUEST_DROPPED : UNTRUSTED_DROPPED;
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (dropped.has(lower) || lower === 'x-request-id') continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, String(v));
    else out.push(name, String(value));
  }
  return appendForwarded(out, info);
}

function appendForwarded(out: string[], info: ForwardedInfo): string[] {
  out.push('x-request-id', info.requestId, 'x-forwarded-for', info.forwardedFor, 'x-forwarded-proto', info.proto);
  if (info.host !== undefined) out.push('x-forwarded-host', info.host);
  return out;
}

/**
 * The response headers for the client from the upstream's raw pairs (undici's `Buffer`s or
 * node:http's strings), minus hop-by-hop and `Connection`-named headers, with `x-request-id`
 * added when the upstream did not send one. Repeated headers (`set-cookie`) stay separate.
 */
export function downstreamHeaders(raw: readonly (Buffer | string)[], requestId: string | undefined): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  let hasRequestId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i] as Buffer | string);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') named = connectionNamed(text(raw[i + 1] as Buffer | string), named);
      continue;
    }
    if (lower === 'x-request-id') hasRequestId = true;
    out.push(name, text(raw[i + 1] as Buffer | string));
  }
  if (named !== undefined) {
    for (let i = out.length - 2; i >= 0; i -= 2) {
      if (named.has((out[i] as string).toLowerCase())) out.splice(i, 2);
    }
  }
  if (!hasRequestId && requestId !== undefined) out.push('x-request-id', requestId);
  return out;
}

function text(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}
