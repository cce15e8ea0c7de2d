import type { IncomingHttpHeaders } from 'node:http';

/** `methods`: exact, case-sensitive; undefined = any method. HEAD does not imply GET. */
export function methodAllowed(methods: readonly string[] | undefined, method: string): boolean {
  if (methods === undefined) return true;
  for (let i = 0; i < methods.length; i++) if (methods[i] === method) return true;
  return false;
}

/**
 * `headers`: every listed header is present with exactly that value (names lower-case here).
 * Repeated headers are matched as one value joined with ", " (as Envoy does, and as Node already
 * presents most repeated headers); an array value is compared as its ", "-joined form without
 * building it.
 */
export function headersMatch(
  names: readonly string[],
  values: readonly string[],
  headers: IncomingHttpHeaders,
): boolean {
  for (let i = 0; i < names.length; i++) {
    if (!headerValueEquals(headers[names[i]!], values[i]!)) return false;
  }
  return true;
}

export function headerValueEquals(actual: string | string[] | undefined, expected: string): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'string') return actual === expected;
  if (actual.length === 0) return false;
  let pos = 0;
  for (let i = 0; i < actual.length; i++) {
    const part = actual[i]!;
    if (i > 0) {
      if (!expected.startsWith(', ', pos)) return false;
      pos += 2;
    }
    if (!expected.startsWith(part, pos)) return false;
    pos += part.length;
  }
  return pos === expected.length;
}
