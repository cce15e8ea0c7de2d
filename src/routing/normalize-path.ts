/** How paths are normalized beyond RFC 3986 (`--merge-slashes`, `--escaped-slashes`). */
export interface PathOptions {
  /** `//a///b` is `/a/b` (nginx's `merge_slashes`, Envoy's `merge_slashes`) */
  readonly mergeSlashes: boolean;
  /** `%2F` (and `%5C`) in a path: refuse the request (`reject`) or keep them encoded (`keep`) */
  readonly escapedSlashes: 'reject' | 'keep';
}

export const DEFAULT_PATH_OPTIONS: PathOptions = Object.freeze({ mergeSlashes: true, escapedSlashes: 'reject' });

/**
 * Path normalization before routing (RFC 3986 §6.2.2), on the path without its query:
 * - the path must start with '/' (origin-form; `*` and absolute-form are the caller's concern);
 * - raw control characters (0x00-0x1F, 0x7F) and their escapes (%00-%1F, %7F) are rejected, and
 *   so is any '%' not followed by two hex digits;
 * - escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded, the hex of the other
 *   escapes is upper-cased; `%2F` and `%5C` are refused (`escapedSlashes: 'reject'`, the default:
 *   an upstream that decodes them would see segments the routes and their filters never saw) or
 *   stay encoded (`keep`), so they never act as a separator here;
 * - empty segments are merged (`//a` is `/a`; `mergeSlashes`, the default: a `/admin/` route and
 *   its filters must see `//admin/x`, which most upstreams treat as `/admin/x`), or kept;
 * - then `.` and `..` segments are removed (remove_dot_segments; `%2e` counts as a dot because it
 *   was decoded first; `..` above the root stays at the root); `\` is not a separator.
 * Returns undefined for a malformed or refused path (the proxy answers 400). A path with no '%',
 * no control character, no dot segment and no empty segment is returned as is, without allocating.
 */
export function normalizePath(rawPath: string, opts: PathOptions = DEFAULT_PATH_OPTIONS): string | undefined {
  const n = rawPath.length;
  if (n === 0 || rawPath.charCodeAt(0) !== SLASH) return undefined;
  for (let i = 1; i < n; i++) {
    const c = rawPath.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return undefined;
    if (
      c === PERCENT ||
      (c === DOT && rawPath.charCodeAt(i - 1) === SLASH && isDotSegment(rawPath, i)) ||
      (c === SLASH && rawPath.charCodeAt(i - 1) === SLASH && opts.mergeSlashes)
    ) {
      return slowPath(rawPath, opts);
    }
  }
  return rawPath;
}

const SLASH = 0x2f;
const DOT = 0x2e;
const PERCENT = 0x25;
const BACKSLASH = 0x5c;
const HEX_DIGITS = '0123456789ABCDEF';

/** 1 for the unreserved characters of RFC 3986 (ALPHA DIGIT - . _ ~). */
const UNRESERVED: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (const ch of '-._~') t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** At `i` (just after a '/') starts a segment that is exactly `.` or `..`. */
function isDotSegment(s: string, i: number): boolean {
  const n = s.length;
  if (i + 1 === n || s.charCodeAt(i + 1) === SLASH) return true;
  return s.charCodeAt(i + 1) === DOT && (i + 2 === n || s.charCodeAt(i + 2) === SLASH);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * One pass, segment by segment: decode each segment's escapes, then apply it to the output
 * stack (RFC 3986 §5.2.4 remove_dot_segments for an absolute path; empty segments merged or kept).
 */
function slowPath(raw: string, opts: PathOptions): string | undefined {
  const n = raw.length;
  const out: string[] = [];
  let i = 1;
  for (;;) {
    let seg = '';
    let copied = i;
    let j = i;
    for (; j < n; j++) {
      const c = raw.charCodeAt(j);
      if (c === SLASH) break;
      if (c < 0x20 || c === 0x7f) return undefined;
      if (c !== PERCENT) continue;
      const hi = j + 2 < n ? hexValue(raw.charCodeAt(j + 1)) : -1;
      const lo = hi < 0 ? -1 : hexValue(raw.charCodeAt(j + 2));
      if (lo < 0) return undefined;
      const byte = hi * 16 + lo;
      if (byte < 0x20 || byte === 0x7f) return undefined;
      if ((byte === SLASH || byte === BACKSLASH) && opts.escapedSlashes === 'reject') return undefined;
      seg += raw.slice(copied, j);
      seg += byte < 0x80 && UNRESERVED[byte] === 1 ? String.fromCharCode(byte) : '%' + HEX_DIGITS[hi]! + HEX_DIGITS[lo]!;
      j += 2;
      copied = j + 1;
    }
    seg = copied === i ? raw.slice(i, j) : seg + raw.slice(copied, j);
    const last = j >= n;
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (last) out.push('');
    } else if (seg === '' && !last && opts.mergeSlashes) {
      // an empty segment in the middle: `//` merged into one `/`
    } else {
      out.push(seg);
    }
    if (last) return '/' + out.join('/');
    i = j + 1;
  }
}
