/**
 * Freezes a value and everything reachable from it. Maps and Sets cannot be frozen in place, so
 * their mutators are replaced with throwing versions: a snapshot is read-only all the way down.
 */
export function deepFreeze<T>(value: T): T {
  freeze(value, new Set());
  return value;
}

function readOnly(): never {
  throw new TypeError('configuration snapshots are immutable');
}

function freeze(value: unknown, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      freeze(k, seen);
      freeze(v, seen);
    }
    Object.assign(value, { set: readOnly, delete: readOnly, clear: readOnly });
  } else if (value instanceof Set) {
    for (const v of value) freeze(v, seen);
    Object.assign(value, { add: readOnly, delete: readOnly, clear: readOnly });
  }
  for (const v of Object.values(value)) freeze(v, seen);
  Object.freeze(value);
}
