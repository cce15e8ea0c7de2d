/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: a proxy never
 * forwards them, in either direction, nor any header the `Connection` header names. `expect` is
 * answered by Node's server itself (100-continue) and undici refuses to send it.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
]);

/** Request headers the proxy replaces or refuses in addition to hop-by-hop ones. */
export const REQUEST_DROPPED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/**
 * The extra header names a `Connection` value lists (`Connection: close, x-foo` → {x-foo}), or
 * undefined when it lists none (the common `keep-alive` / `close` case allocates nothing).
 */
export function connectionNamed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const joined = Array.isArray(value) ? value.join(',') : value;
  const lower = joined.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close' || lower === 'upgrade') return undefined;
  let out: Set<string> | undefined;
  for (const token of lower.split(',')) {
    const name = token.trim();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    (out ??= new Set()).add(name);
  }
  return out;
}
