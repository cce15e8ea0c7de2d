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
 * The same, for a client that is not a trusted proxy: its `X-Real-IP` and `Forwarded` are dropped
 * too, as spoofed `X-Forwarded-*` are (an upstream reading them would believe any address).
 */
export const UNTRUSTED_DROPPED: ReadonlySet<string> = new Set([...REQUEST_DROPPED, 'x-real-ip', 'forwarded']);

/**
 * Adds to `into` the extra header names a `Connection` value lists (`Connection: close, x-foo` →
 * {x-foo}) and returns it, or returns `into` as it was (undefined by default) when the value lists
 * none: the common `keep-alive` / `close` / `upgrade` cases allocate nothing.
 */
/**
 * The client's own headers its `Connection` header names (RFC 9110 §7.6.1: they describe its
 * connection to Junction, not the request), minus `Host`, which names the target and is never
 * removable. Undefined when it names none.
 */
export function namedByClient(connection: string | string[] | undefined): ReadonlySet<string> | undefined {
  const named = connectionNamed(connection);
  if (named === undefined || !named.delete('host') || named.size > 0) return named;
  return undefined;
}

export function connectionNamed(value: string | string[] | undefined, into?: Set<string>): Set<string> | undefined {
  if (value === undefined) return into;
  const joined = Array.isArray(value) ? value.join(',') : value;
  if (joined.length <= 10) {
    const v = joined.toLowerCase();
    if (v === 'keep-alive' || v === 'close' || v === 'upgrade') return into;
  }
  for (const token of joined.toLowerCase().split(',')) {
    const name = token.trim();
    if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
    (into ??= new Set()).add(name);
  }
  return into;
}
