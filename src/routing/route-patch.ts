import { CompiledRoute, parseRoute } from './compiled-route.js';
import type { HostSpec } from './host-spec.js';
import { groupKey, type RouteGroup } from './host-index.js';
import { comparePrecedence } from './precedence.js';
import type { RouteCandidate } from './route-candidate.js';

/** beyond this many changed routes a patch is not worth it: the index is built anew */
export const PATCH_MAX_CHANGES = 256;

/** What a RouteIndex keeps to derive a patched copy of itself. */
export interface RouteTable<T> {
  readonly ranked: readonly CompiledRoute<T>[];
  readonly byId: ReadonlyMap<string, CompiledRoute<T>>;
  readonly groups: ReadonlyMap<string, RouteGroup<T>>;
}

export interface PatchedTable<T> extends RouteTable<T> {
  readonly ranked: CompiledRoute<T>[];
  /** the host groups whose routes changed (an empty list: the group is gone), by `groupKey` */
  readonly changed: ReadonlyMap<string, { readonly host: HostSpec; readonly routes: RouteGroup<T> }>;
}

/**
 * Applies route changes to a copy of `table`. Ranks are spaced `step` apart by a fresh build, and
 * only ever compared, so a new route takes a rank halfway between its neighbours in precedence
 * order and nothing else is renumbered. A route whose match and priority are unchanged (only its
 * value differs) is recompiled at the same rank. Returns undefined — build anew — when there are
 * more than PATCH_MAX_CHANGES changes or two neighbours have no rank left between them.
 */
export function patchRoutes<T>(
  table: RouteTable<T>,
  removed: readonly string[],
  upserted: readonly RouteCandidate<T>[],
  step: number,
): PatchedTable<T> | undefined {
  if (removed.length + upserted.length > PATCH_MAX_CHANGES) return undefined;
  const ranked = table.ranked.slice();
  const byId = new Map(table.byId);
  const changed = new Map<string, { host: HostSpec; routes: CompiledRoute<T>[] }>();
  const groupOf = (host: HostSpec): CompiledRoute<T>[] => {
    const key = groupKey(host);
    let g = changed.get(key);
    if (g === undefined) {
      g = { host, routes: [...(table.groups.get(key) ?? [])] };
      changed.set(key, g);
    }
    return g.routes;
  };
  const take = (c: CompiledRoute<T>): void => {
    ranked.splice(rankIndex(ranked, c.rank), 1);
    const list = groupOf(c.host);
    list.splice(rankIndex(list, c.rank), 1);
    byId.delete(c.candidate.id);
  };
  const put = (c: CompiledRoute<T>): void => {
    ranked.splice(rankIndex(ranked, c.rank), 0, c);
    const list = groupOf(c.host);
    list.splice(rankIndex(list, c.rank), 0, c);
    byId.set(c.candidate.id, c);
  };

  for (const id of removed) {
    const c = byId.get(id);
    if (c !== undefined) take(c);
  }
  for (const candidate of upserted) {
    const old = byId.get(candidate.id);
    if (old?.candidate === candidate) continue;
    if (old !== undefined && old.candidate.match === candidate.match && old.candidate.priority === candidate.priority) {
      const c = new CompiledRoute({ ...old.parsed, candidate }, old.rank);
      ranked[rankIndex(ranked, c.rank)] = c;
      const list = groupOf(c.host);
      list[rankIndex(list, c.rank)] = c;
      byId.set(candidate.id, c);
      continue;
    }
    if (old !== undefined) take(old);
    const parsed = parseRoute(candidate, 0);
    const pos = precedenceIndex(ranked, parsed.key);
    const lo = ranked[pos - 1]?.rank;
    const hi = ranked[pos]?.rank;
    const rank = lo === undefined ? (hi === undefined ? 0 : hi - step) : hi === undefined ? lo + step : lo + Math.floor((hi - lo) / 2);
    if (rank === lo || rank === hi || !Number.isSafeInteger(rank)) return undefined;
    put(new CompiledRoute(parsed, rank));
  }

  const groups = new Map(table.groups);
  for (const [key, g] of changed) {
    Object.freeze(g.routes);
    if (g.routes.length === 0) groups.delete(key);
    else groups.set(key, g.routes);
  }
  return { ranked, byId, groups, changed };
}

/** The index of the first route whose rank is >= `rank` (lists are sorted by rank). */
function rankIndex<T>(list: readonly CompiledRoute<T>[], rank: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.rank < rank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first route that `key` beats (rank order is precedence order). */
function precedenceIndex<T>(list: readonly CompiledRoute<T>[], key: CompiledRoute<T>['parsed']['key']): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePrecedence(list[mid]!.parsed.key, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
