import type { RequestView } from './request-view.js';
import type { HostSpec } from './host-spec.js';
import type { CompiledRoute } from './compiled-route.js';
import { HostKind } from './host-spec.js';
import { PathBucket } from './path-bucket.js';

/** Wildcard buckets by suffix (`.example.com`, or `.example.com:8080`). Immutable once built. */
class WildcardMap<T> {
  readonly buckets: ReadonlyMap<string, PathBucket<T>>;
  /** the distinct suffix lengths present, longest first */
  private readonly lengths: readonly number[];

  constructor(buckets: ReadonlyMap<string, PathBucket<T>>) {
    this.buckets = buckets;
    this.lengths = [...new Set([...buckets.keys()].map((k) => k.length))].sort((a, b) => b - a);
  }

  /**
   * Scans the bucket of each suffix of `host` that starts with a dot at 1 <= i < end (`end` =
   * where the port starts) and has the length of some stored suffix, longest first. Only suffix
   * lengths that exist are tried, so most hosts slice nothing.
   */
  scan(host: string, end: number, req: RequestView, best: CompiledRoute<T> | undefined): CompiledRoute<T> | undefined {
    const n = host.length;
    const lengths = this.lengths;
    for (let k = 0; k < lengths.length; k++) {
      const i = n - lengths[k]!;
      if (i < 1 || i >= end || host.charCodeAt(i) !== 0x2e /* . */) continue;
      const bucket = this.buckets.get(host.slice(i));
      if (bucket !== undefined && (best === undefined || bucket.minRank < best.rank)) best = bucket.scan(req, best);
    }
    return best;
  }
}

/** The routes that share one host spec (same kind, key and port-ness), sorted by rank. */
export type RouteGroup<T> = readonly CompiledRoute<T>[];

/** Which group a host spec's routes fall in. */
export function groupKey(host: HostSpec): string {
  return `${host.kind}${host.hasPort ? 'p' : '-'}${host.key}`;
}

interface HostMaps<T> {
  readonly exact: ReadonlyMap<string, PathBucket<T>>;
  readonly exactPorted: ReadonlyMap<string, PathBucket<T>>;
  readonly wildcard: ReadonlyMap<string, PathBucket<T>>;
  readonly wildcardPorted: ReadonlyMap<string, PathBucket<T>>;
  readonly anyHost: PathBucket<T> | undefined;
}

/** The map a group's bucket lives in, by its host spec. */
function slot(host: HostSpec): 'exact' | 'exactPorted' | 'wildcard' | 'wildcardPorted' | 'anyHost' {
  if (host.kind === HostKind.any) return 'anyHost';
  if (host.kind === HostKind.wildcard) return host.hasPort ? 'wildcardPorted' : 'wildcard';
  return host.hasPort ? 'exactPorted' : 'exact';
}

/**
 * Routes indexed by host: exact hosts (with and without a port), wildcard suffixes (with and
 * without a port) and the any-host bucket. A lookup visits only the buckets the request's Host can
 * match — the exact ones, one per wildcard suffix of the host that exists, and the any-host
 * bucket — skipping any whose best rank cannot beat the route already found; never all routes.
 * Immutable: `patch` makes a new index sharing every bucket whose group did not change.
 */
export class HostIndex<T> {
  private readonly exact: ReadonlyMap<string, PathBucket<T>>;
  private readonly exactPorted: ReadonlyMap<string, PathBucket<T>>;
  private readonly wildcard: WildcardMap<T>;
  private readonly wildcardPorted: WildcardMap<T>;
  private readonly anyHost: PathBucket<T> | undefined;
  private readonly hostBuckets: number;

  private constructor(maps: HostMaps<T>, previous?: HostIndex<T>) {
    this.exact = maps.exact;
    this.exactPorted = maps.exactPorted;
    this.wildcard = previous !== undefined && previous.wildcard.buckets === maps.wildcard ? previous.wildcard : new WildcardMap(maps.wildcard);
    this.wildcardPorted =
      previous !== undefined && previous.wildcardPorted.buckets === maps.wildcardPorted ? previous.wildcardPorted : new WildcardMap(maps.wildcardPorted);
    this.anyHost = maps.anyHost;
    this.hostBuckets = this.exact.size + this.exactPorted.size + this.wildcard.buckets.size + this.wildcardPorted.buckets.size;
    Object.freeze(this);
  }

  /**
   * Builds the index from groups of routes (each sorted by rank). Groups are compiled by the
   * caller one after the other, so the objects one lookup touches sit next to each other in memory.
   */
  static build<T>(groups: Iterable<RouteGroup<T>>): HostIndex<T> {
    const maps = { exact: new Map(), exactPorted: new Map(), wildcard: new Map(), wildcardPorted: new Map(), anyHost: undefined } as {
      exact: Map<string, PathBucket<T>>;
      exactPorted: Map<string, PathBucket<T>>;
      wildcard: Map<string, PathBucket<T>>;
      wildcardPorted: Map<string, PathBucket<T>>;
      anyHost: PathBucket<T> | undefined;
    };
    for (const routes of groups) {
      const host = routes[0]?.host;
      if (host === undefined) continue;
      const where = slot(host);
      if (where === 'anyHost') maps.anyHost = new PathBucket(routes);
      else maps[where].set(host.key, new PathBucket(routes));
    }
    return new HostIndex(maps);
  }

  /** A new index with the buckets of `changed` groups (keyed by `groupKey`) rebuilt; an empty group is removed. */
  patch(changed: ReadonlyMap<string, { readonly host: HostSpec; readonly routes: RouteGroup<T> }>): HostIndex<T> {
    const maps: { -readonly [K in keyof HostMaps<T>]: HostMaps<T>[K] } = {
      exact: this.exact,
      exactPorted: this.exactPorted,
      wildcard: this.wildcard.buckets,
      wildcardPorted: this.wildcardPorted.buckets,
      anyHost: this.anyHost,
    };
    const copied = new Set<string>();
    for (const { host, routes } of changed.values()) {
      const where = slot(host);
      const bucket = routes.length === 0 ? undefined : new PathBucket(routes);
      if (where === 'anyHost') {
        maps.anyHost = bucket;
        continue;
      }
      if (!copied.has(where)) {
        maps[where] = new Map(maps[where]);
        copied.add(where);
      }
      const map = maps[where] as Map<string, PathBucket<T>>;
      if (bucket === undefined) map.delete(host.key);
      else map.set(host.key, bucket);
    }
    return new HostIndex(maps, this);
  }

  scan(req: RequestView): CompiledRoute<T> | undefined {
    let best: CompiledRoute<T> | undefined = undefined;
    const raw = req.host;
    if (raw !== undefined && raw.length > 0 && this.hostBuckets > 0) best = this.scanHost(raw, req, best);
    const any = this.anyHost;
    if (any !== undefined && (best === undefined || any.minRank < best.rank)) best = any.scan(req, best);
    return best;
  }

  private scanHost(raw: string, req: RequestView, best: CompiledRoute<T> | undefined): CompiledRoute<T> | undefined {
    let full = raw.toLowerCase();
    let end = hostnameEnd(full);
    if (end > 1 && full.charCodeAt(end - 1) === 0x2e /* . */) {
      // FQDN form `example.com.`: drop the root dot, as nginx does
      full = full.slice(0, end - 1) + full.slice(end);
      end--;
    }
    const hasPort = end < full.length;
    const bare = hasPort ? full.slice(0, end) : full;
    if (hasPort && this.exactPorted.size > 0) {
      const bucket = this.exactPorted.get(full);
      if (bucket !== undefined && (best === undefined || bucket.minRank < best.rank)) best = bucket.scan(req, best);
    }
    if (this.exact.size > 0) {
      const bucket = this.exact.get(bare);
      if (bucket !== undefined && (best === undefined || bucket.minRank < best.rank)) best = bucket.scan(req, best);
    }
    if (hasPort && this.wildcardPorted.buckets.size > 0) best = this.wildcardPorted.scan(full, end, req, best);
    if (this.wildcard.buckets.size > 0) best = this.wildcard.scan(bare, bare.length, req, best);
    return best;
  }
}

/** Where the host name ends in a lower-cased Host value: at `:port`, after `]` for IPv6 literals. */
function hostnameEnd(host: string): number {
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']');
    return close < 0 ? host.length : close + 1;
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host.length : colon;
}

