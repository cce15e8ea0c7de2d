import type { RouteCandidate } from './route-candidate.js';
import type { RequestView } from './request-view.js';
import { parseRoute } from './compiled-route.js';
import { comparePrecedence } from './precedence.js';
import { HostIndex } from './host-index.js';

/**
 * The router: an immutable index over one snapshot's routes (SPEC §2 RouteSpec.match, priority).
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
 */
export class RouteIndex<T> {
  readonly size: number;
  /** every route, best precedence first (for admin views and debugging) */
  readonly ordered: readonly RouteCandidate<T>[];
  private readonly hosts: HostIndex<T>;

  private constructor(ordered: readonly RouteCandidate<T>[], hosts: HostIndex<T>) {
    this.size = ordered.length;
    this.ordered = ordered;
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
    return new RouteIndex(Object.freeze(parsed.map((p) => p.candidate)), new HostIndex(parsed));
  }

  /** The best route for the request, or undefined (the proxy answers 404 `no_route`). */
  match(req: RequestView): RouteCandidate<T> | undefined {
    return this.hosts.scan(req)?.candidate;
  }
}
