import type { ForwardedInfo } from './forwarded.js';
import { HOP_BY_HOP, REQUEST_DROPPED, connectionNamed } from './hop-by-hop.js';

/**
 * Junction's one header policy, for every way a request is forwarded (plain HTTP, upgrades):
 * upstream, the client's headers minus hop-by-hop and `Connection`-named ones, with
 * `X-Forwarded-For/Proto/Host` set by Junction (forwarded.ts says who may add to them) and
 * `x-request-id` kept or generated; downstream, the upstream's headers minus the same.
 * Headers travel as the flat `[name, value, name, value, ...]` list undici and `writeHead` take.
 */

export type HeaderValue = string | string[] | undefined;

/** The upstream request headers from the client's raw headers, in their order and case. */
export function upstreamHeadersFromRaw(raw: readonly string[], connection: HeaderValue, info: ForwardedInfo): string[] {
  const named = connectionNamed(connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (forwardsRequestHeader(name.toLowerCase(), named)) out.push(name, raw[i + 1] as string);
  }
  return appendForwarded(out, info);
}

/** The same, from the header object a route's filters have edited (arrays become repeated headers). */
export function upstreamHeadersFromObject(headers: Readonly<Record<string, HeaderValue>>, info: ForwardedInfo): string[] {
  const named = connectionNamed(headers.connection);
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !forwardsRequestHeader(name.toLowerCase(), named)) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, String(v));
    else out.push(name, String(value));
  }
  return appendForwarded(out, info);
}

function forwardsRequestHeader(lower: string, named: ReadonlySet<string> | undefined): boolean {
  return !REQUEST_DROPPED.has(lower) && lower !== 'x-request-id' && (named === undefined || !named.has(lower));
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
