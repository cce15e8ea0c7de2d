import type { HeaderValue } from './types.js';

/** A flat `[name, value, ...]` list as an object with lower-case names; repeats become arrays. */
export function headerObject(flat: readonly string[]): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** A header object back to the flat list `res.writeHead` takes (undefined entries dropped). */
export function flatHeaders(obj: Readonly<Record<string, HeaderValue | number | readonly string[]>>): string[] {
  const out: string[] = [];
  for (const name in obj) {
    const v = obj[name];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) out.push(name, String(x));
    else out.push(name, String(v));
  }
  return out;
}
