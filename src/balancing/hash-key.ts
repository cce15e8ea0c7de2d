import { findCookie } from '../http/cookie.js';
import { BalancerConfigError } from './errors.js';
import { fnv1a32 } from './hash-function.js';
import type { PickInput } from './types.js';

/** Where the hash balancer's key comes from: BackendSpec.hashKey parsed once per snapshot. */
export type HashKeySource =
  | { readonly kind: 'ip' }
  | { readonly kind: 'header'; readonly name: string; readonly list: boolean }
  | { readonly kind: 'cookie'; readonly name: string; /** scratch for findCookie's bounds (single-threaded: safe to reuse) */ readonly bounds: Int32Array };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Headers whose repeats Node does not join with ", " (it keeps the first, or joins cookies with
 * "; "): their value is used whole, commas included (user-agent has commas of its own).
 */
const SINGLE_VALUE_HEADERS: ReadonlySet<string> = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'cookie', 'etag', 'expires', 'from', 'host',
  'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards',
  'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent',
]);

/** `header:NAME` | `cookie:NAME` | `ip`. Header names are case-insensitive, cookie names are not. */
export function parseHashKey(spec: string): HashKeySource {
  if (spec === 'ip') return { kind: 'ip' };
  const colon = spec.indexOf(':');
  const kind = colon < 0 ? '' : spec.slice(0, colon);
  const name = colon < 0 ? '' : spec.slice(colon + 1);
  if ((kind === 'header' || kind === 'cookie') && TOKEN.test(name)) {
    if (kind === 'cookie') return { kind, name, bounds: new Int32Array(2) };
    const lower = name.toLowerCase();
    return { kind, name: lower, list: !SINGLE_VALUE_HEADERS.has(lower) };
  }
  throw new BalancerConfigError('invalid_hash_key', `hashKey must be header:NAME, cookie:NAME or ip, got "${spec}"`);
}

/**
 * The 32-bit hash of the request's key, or -1 when the request has no (non-empty) key.
 * Hashes a range of the existing string: no allocation.
 *
 * - header: the first value. Node joins repeated headers with ", ", so for list headers the key
 *   is the text before the first comma, trimmed (for x-forwarded-for: the original client).
 * - cookie: the first cookie with exactly that name in the Cookie header; surrounding double
 *   quotes are dropped; the value is not percent-decoded.
 * - ip: the client address, with an IPv4-mapped IPv6 prefix (::ffff:) ignored.
 */
export function hashKeyOf(source: HashKeySource, input: PickInput): number {
  switch (source.kind) {
    case 'ip': {
      const ip = input.clientIp;
      const start = ip.startsWith('::ffff:') && ip.includes('.', 7) ? 7 : 0;
      return ip.length > start ? fnv1a32(ip, start) : -1;
    }
    case 'header': {
      const raw = input.headers[source.name];
      const value = typeof raw === 'string' ? raw : raw?.[0];
      if (value === undefined) return -1;
      let end = source.list ? value.indexOf(',') : -1;
      if (end < 0) end = value.length;
      return hashTrimmed(value, 0, end);
    }
    case 'cookie': {
      const raw = input.headers.cookie as string | readonly string[] | undefined;
      if (raw === undefined) return -1;
      if (typeof raw === 'string') return cookieHash(raw, source.name, source.bounds);
      for (const line of raw) {
        const h = cookieHash(line, source.name, source.bounds);
        if (h >= 0) return h;
      }
      return -1;
    }
  }
}

function cookieHash(header: string, name: string, bounds: Int32Array): number {
  if (!findCookie(header, name, bounds)) return -1;
  const [start, end] = [bounds[0] as number, bounds[1] as number];
  return end > start ? fnv1a32(header, start, end) : -1;
}

function hashTrimmed(s: string, start: number, end: number): number {
  while (start < end && isSpace(s.charCodeAt(start))) start++;
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--;
  return end > start ? fnv1a32(s, start, end) : -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
