import type { Pickable } from './types.js';

/**
 * The one rule every balancer applies at pick time: positive weight, not already tried,
 * and available right now. `exclude` is undefined when the caller passed none or an empty set.
 */
export function isPickable(server: Pickable, weight: number, exclude: ReadonlySet<string> | undefined): boolean {
  return weight > 0 && (exclude === undefined || !exclude.has(server.id)) && server.isAvailable();
}

/** Normalizes PickInput.exclude so the hot loop tests one value: undefined, or a non-empty set. */
export function activeExclude(exclude: ReadonlySet<string> | undefined): ReadonlySet<string> | undefined {
  return exclude !== undefined && exclude.size > 0 ? exclude : undefined;
}

/** Weights read once per snapshot; NaN, negative and non-finite weights become 0 (never picked). */
export function weightsOf(servers: readonly Pickable[]): Float64Array {
  const w = new Float64Array(servers.length);
  for (let i = 0; i < servers.length; i++) {
    const v = servers[i]!.weight;
    w[i] = Number.isFinite(v) && v > 0 ? v : 0;
  }
  return w;
}
