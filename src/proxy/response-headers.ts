import { HOP_BY_HOP } from './hop-by-hop.js';

/**
 * Upstream response headers (undici's raw `Buffer` pairs) as the flat string list
 * `res.writeHead` takes, minus hop-by-hop and `Connection`-named headers. Repeated headers
 * (`set-cookie`) stay separate.
 */
export function downstreamResponseHeaders(raw: readonly Buffer[], requestId: string | undefined): string[] {
  const out: string[] = [];
  let named: Set<string> | undefined;
  let hasRequestId = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString('latin1');
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection') named = connectionTokens((raw[i + 1] as Buffer).toString('latin1'), named);
      continue;
    }
    if (lower === 'x-request-id') hasRequestId = true;
    out.push(name, (raw[i + 1] as Buffer).toString('latin1'));
  }
  if (named !== undefined) {
    for (let i = out.length - 2; i >= 0; i -= 2) {
      if (named.has((out[i] as string).toLowerCase())) out.splice(i, 2);
    }
  }
  if (!hasRequestId && requestId !== undefined) out.push('x-request-id', requestId);
  return out;
}

function connectionTokens(value: string, into: Set<string> | undefined): Set<string> | undefined {
  // nearly every upstream says just `keep-alive` (or `close`): nothing to split
  const v = value.length <= 10 ? value.toLowerCase() : '';
  if (v === 'keep-alive' || v === 'close') return into;
  for (const token of value.toLowerCase().split(',')) {
    const name = token.trim();
    if (name === '' || name === 'close' || name === 'keep-alive') continue;
    (into ??= new Set()).add(name);
  }
  return into;
}
