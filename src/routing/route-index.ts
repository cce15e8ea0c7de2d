import type { RouteCandidate } from './route-candidate.js';
import type { RequestView } from './request-view.js';
import { CompiledRoute, parseRoute, type ParsedRoute } from './compiled-route.js';
import { comparePrecedence } from './precedence.js';
import { groupKey, HostIndex, type RouteGroup } from './host-index.js';
import { patchRoutes } from './route-patch.js';

/** the gap between consecutive ranks in a fresh index: room for 16 routes slotted in at one place */
export const RANK_STEP = 1 << 16;

/**
 * The router: an immutable index over one snapshot's routes (RouteSpec.match and priority; docs/routing.md).
 *
 * Matching (docs/routing.md has the full rules):
 * - host: exact, case-insensitive; the request's `:port` is ignored unless the spec names a
 *   port, then it must be equal. `*.example.com` matches `a.example.com` and `a.b.example.com`,
 *   not `example.com`. No host = any host.
 * - path (on the normalized path, no query): `path` exact; `pathPrefix` a plain string prefix
 *   (`/v1` matches `/v1/x` and `/v1x`; `/v1/` does not match `/v1`); `pathRegex` a full match
 *   (`^(?:re)$`). None = any path.
 * - methods: exact, case-sensitive; headers: each present with exactly that value (repeated
 *   headers compared as their ", "-joined value).
 * - precedence: see `comparePrecedence` — priority, host length (exact > wildcard), path length
 *   (exact > prefix > regex), header count, methods, id.
 *
 * Lookup: host buckets (exact map, wildcard suffix map, any host), then per bucket an exact-path
 * map, a prefix radix trie and a regex list (buckets of at most FLAT_BUCKET_MAX routes are one
 * flat list instead), all sorted by a precomputed global rank so a scan stops as soon as nothing
 * left can win. `match` allocates nothing beyond lower-casing the Host and slicing off its port.
 *
 * `update` derives the index of a changed route set from this one, rebuilding only the host
 * buckets whose routes changed (see route-patch.ts); the result matches exactly as `build` would.
 */
export class RouteIndex<T> {
  readonly size: number;
  /** every route, best precedence first (for admin views and debugging) */
  readonly ordered: readonly RouteCandidate<T>[];
  private readonly hosts: HostIndex<T>;
  /** every route compiled, in rank order */
  private readonly ranked: readonly CompiledRoute<T>[];
  private readonly byId: ReadonlyMap<string, CompiledRoute<T>>;
  /** each host group's routes in rank order, by `groupKey` */
  private readonly groups: ReadonlyMap<string, RouteGroup<T>>;

  private constructor(
    ranked: readonly CompiledRoute<T>[],
    byId: ReadonlyMap<string, CompiledRoute<T>>,
    groups: ReadonlyMap<string, RouteGroup<T>>,
    hosts: HostIndex<T>,
  ) {
    this.size = ranked.length;
    this.ordered = Object.freeze(ranked.map((c) => c.candidate));
    this.ranked = ranked;
    this.byId = byId;
    this.groups = groups;
    this.hosts = hosts;
    Object.freeze(this);
  }

  /**
   * Builds the index. Validated specs never make it throw; otherwise it throws `RoutingError`
   * (`invalid_regex`, `invalid_match`).
   */
  static build<T>(routes: readonly RouteCandidate<T>[]): RouteIndex<T> {
    const parsed = routes.map((candidate, order) => parseRoute(candidate, order));
    parsed.sort((a, b) => comparePrecedence(a.key, b.key));
    const byGroup = new Map<string, Array<{ p: ParsedRoute<T>; rank: number }>>();
    parsed.forEach((p, i) => {
      const key = groupKey(p.host);
      const list = byGroup.get(key);
      if (list === undefined) byGroup.set(key, [{ p, rank: i * RANK_STEP }]);
      else list.push({ p, rank: i * RANK_STEP });
    });
    // Compiled group by group, so the objects one lookup touches sit next to each other in memory.
    const ranked: CompiledRoute<T>[] = new Array(parsed.length);
    const byId = new Map<string, CompiledRoute<T>>();
    const groups = new Map<string, RouteGroup<T>>();
    for (const [key, list] of byGroup) {
      const compiled = list.map(({ p, rank }) => new CompiledRoute(p, rank));
      for (const c of compiled) {
        ranked[c.rank / RANK_STEP] = c;
        byId.set(c.candidate.id, c);
      }
      groups.set(key, Object.freeze(compiled));
    }
    return new RouteIndex(Object.freeze(ranked), byId, groups, HostIndex.build(groups.values()));
  }

  /**
   * The index of this route set with the routes `removed` (by id) taken out and `upserted` ones
   * added or replaced. Routes whose candidate is the same object are untouched; one whose match
   * and priority are unchanged keeps its rank (only its value changes). Many changes, or no room
   * left between two ranks, fall back to `build`. An id in both lists ends up upserted. Same
   * errors as `build`.
   */
  update(removed: readonly string[], upserted: readonly RouteCandidate<T>[]): RouteIndex<T> {
    const patched = patchRoutes({ ranked: this.ranked, byId: this.byId, groups: this.groups }, removed, upserted, RANK_STEP);
    if (patched === undefined) {
      const all = new Map<string, RouteCandidate<T>>();
      for (const c of this.ranked) all.set(c.candidate.id, c.candidate);
      for (const id of removed) all.delete(id);
      for (const c of upserted) all.set(c.id, c);
      return RouteIndex.build([...all.values()]);
    }
    if (patched.changed.size === 0) return this;
    return new RouteIndex(Object.freeze(patched.ranked), patched.byId, patched.groups, this.hosts.patch(patched.changed));
  }

  /** The best route for the request, or undefined (the proxy answers 404 `no_route`). */
  match(req: RequestView): RouteCandidate<T> | undefined {
    return this.hosts.scan(req)?.candidate;
  }
}
