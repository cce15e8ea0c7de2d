import type { RequestView } from './request-view.js';
import type { CompiledRoute } from './compiled-route.js';
import { firstAccepting, firstMatching } from './compiled-route.js';
import { PathKind } from './path-spec.js';
import { PathTrie } from './path-trie.js';

/**
 * Up to this many routes, a bucket is one flat list in rank order, each route checking its own
 * path: for a handful of routes one pass over adjacent objects is cheaper than a map probe plus
 * a trie walk over scattered nodes, and it is still bounded by the bucket, never all routes.
 */
export const FLAT_BUCKET_MAX = 8;

const NO_RANK = Number.MAX_SAFE_INTEGER;

/**
 * The routes of one host key, indexed by path. Small buckets: a flat list. Larger ones: an
 * exact-path map, a prefix trie, the regex list and the routes with no path condition. Every list
 * is sorted by rank, and each part records its best rank, so a scan skips whatever cannot beat
 * the best route found so far.
 */
export class PathBucket<T> {
  /** the best rank in the bucket: skip it entirely when the best found so far is better */
  readonly minRank: number;
  private readonly flat: readonly CompiledRoute<T>[] | undefined;
  private readonly exact: Map<string, CompiledRoute<T>[]> | undefined;
  private readonly exactMinRank: number;
  private readonly prefixes: PathTrie<T> | undefined;
  private readonly prefixMinRank: number;
  private readonly regexes: readonly CompiledRoute<T>[];
  private readonly anyPath: readonly CompiledRoute<T>[];

  /** `routes` must be sorted by rank. */
  constructor(routes: readonly CompiledRoute<T>[]) {
    this.minRank = routes.length > 0 ? routes[0]!.rank : NO_RANK;
    let exact: Map<string, CompiledRoute<T>[]> | undefined;
    let prefixes: PathTrie<T> | undefined;
    let exactMinRank = NO_RANK;
    let prefixMinRank = NO_RANK;
    const regexes: CompiledRoute<T>[] = [];
    const anyPath: CompiledRoute<T>[] = [];
    if (routes.length <= FLAT_BUCKET_MAX) {
      this.flat = Object.freeze([...routes]);
    } else {
      this.flat = undefined;
      for (const route of routes) {
        if (route.pathKind === PathKind.exact) {
          exact ??= new Map();
          const list = exact.get(route.pathValue);
          if (list === undefined) exact.set(route.pathValue, [route]);
          else list.push(route);
          exactMinRank = Math.min(exactMinRank, route.rank);
        } else if (route.pathKind === PathKind.prefix) {
          (prefixes ??= new PathTrie<T>()).add(route.pathValue, route);
          prefixMinRank = Math.min(prefixMinRank, route.rank);
        } else if (route.pathKind === PathKind.regex) {
          regexes.push(route);
        } else {
          anyPath.push(route);
        }
      }
    }
    this.exact = exact;
    this.exactMinRank = exactMinRank;
    this.prefixes = prefixes;
    this.prefixMinRank = prefixMinRank;
    this.regexes = Object.freeze(regexes);
    this.anyPath = Object.freeze(anyPath);
    Object.freeze(this);
  }

  /** The best route of this bucket for `req` that beats `best`, else `best`. */
  scan(req: RequestView, best: CompiledRoute<T> | undefined): CompiledRoute<T> | undefined {
    if (this.flat !== undefined) return firstMatching(this.flat, req, best);
    if (this.exact !== undefined && (best === undefined || this.exactMinRank < best.rank)) {
      const list = this.exact.get(req.path);
      if (list !== undefined) best = firstAccepting(list, req, best);
    }
    if (this.prefixes !== undefined && (best === undefined || this.prefixMinRank < best.rank)) {
      best = this.prefixes.scan(req, best);
    }
    if (this.regexes.length > 0) best = firstAccepting(this.regexes, req, best);
    if (this.anyPath.length > 0) best = firstAccepting(this.anyPath, req, best);
    return best;
  }
}
