import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from '../../errors/junction-error.js';

/** What an `If-Match` asks: nothing, any existing version (`*`), or one mod revision. */
export type Precondition = { readonly kind: 'none' } | { readonly kind: 'exists' } | { readonly kind: 'revision'; readonly modRevision: number };

/**
 * Parses `If-Match: "12"`, `If-Match: 12` or `W/"12"` (the ETag is the key's mod revision) and
 * `If-Match: *`. Anything else is a 400: a precondition that cannot be understood must not be
 * silently ignored.
 */
export function parseIfMatch(headers: IncomingHttpHeaders): Precondition {
  const raw = headers['if-match'];
  if (raw === undefined) return { kind: 'none' };
  return parsePrecondition(String(raw), 'If-Match');
}

export function parsePrecondition(raw: string | number, what: string): Precondition {
  if (typeof raw === 'number') return revision(raw, what);
  const v = raw.trim();
  if (v === '*') return { kind: 'exists' };
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(v);
  if (!m || m[1] === undefined) {
    throw new HttpError('bad_request', `${what} ${JSON.stringify(raw)}: expected a mod revision such as "42" (the ETag of a GET)`);
  }
  return revision(Number(m[1]), what);
}

function revision(n: number, what: string): Precondition {
  if (!Number.isSafeInteger(n) || n < 0) throw new HttpError('bad_request', `${what} ${n}: expected a mod revision >= 0`);
  return { kind: 'revision', modRevision: n };
}

export function etag(modRevision: number): string {
  return `"${modRevision}"`;
}
