import type { IncomingHttpHeaders } from 'node:http';

/**
 * Finds the first cookie called exactly `name` in one Cookie header line and returns the bounds of
 * its value in `out` ([start, end), surrounding double quotes excluded). Allocation-free: the
 * balancer hashes the range in place; `readCookie` slices it.
 */
export function findCookie(header: string, name: string, out: Int32Array): boolean {
  const n = header.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(header.charCodeAt(i))) i++;
    if (header.startsWith(name, i) && header.charCodeAt(i + name.length) === 0x3d /* = */) {
      let start = i + name.length + 1;
      let end = header.indexOf(';', start);
      if (end < 0) end = n;
      while (end > start && isSpace(header.charCodeAt(end - 1))) end--;
      if (end - start >= 2 && header.charCodeAt(start) === 0x22 && header.charCodeAt(end - 1) === 0x22) {
        start++;
        end--;
      }
      out[0] = start;
      out[1] = end;
      return true;
    }
    const semi = header.indexOf(';', i);
    if (semi < 0) break;
    i = semi + 1;
  }
  return false;
}

/** The value of the first cookie called `name` (not percent-decoded), or undefined. */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers.cookie as string | readonly string[] | undefined;
  if (raw === undefined) return undefined;
  const bounds = new Int32Array(2);
  for (const line of typeof raw === 'string' ? [raw] : raw) {
    if (findCookie(line, name, bounds)) return line.slice(bounds[0], bounds[1]);
  }
  return undefined;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
