import type { RequestView } from './request-view.js';
import type { ParsedRoute } from './compiled-route.js';
import type { HostSpec } from './host-spec.js';
import { CompiledRoute } from './compiled-route.js';
import { HostKind } from './host-spec.js';
import { PathBucket } from './path-bucket.js';

/** Wildcard buckets by suffix (`.example.com`, or `.example.com:8080`). */
class WildcardMap<T> {
  readonly buckets = new Map<string, PathBucket<T>>();
  /** the distinct suffix lengths present, longest first */
  private lengths: readonly number[] = [];

  set(suffix: string, bucket: PathBucket<T>): void {
    this.buckets.set(suffix, bucket);
    if (!this.lengths.includes(suffix.length)) this.lengths = [...this.lengths, suffix.length].sort((a, b) => b - a);
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

/**
 * Routes indexed by host: exact hosts (with and without a port), wildcard suffixes (with and
 * without a port) and the any-host bucket. A lookup visits only the buckets the request's Host can
 * match — the exact ones, one per wildcard suffix of the host that exists, and the any-host
 * bucket — skipping any whose best rank cannot beat the route already found; never all routes.
 */
export class HostIndex<T> {
  private readonly exact = new Map<string, PathBucket<T>>();
  private readonly exactPorted = new Map<string, PathBucket<T>>();
  private readonly wildcard = new WildcardMap<T>();
  private readonly wildcardPorted = new WildcardMap<T>();
  private readonly anyHost: PathBucket<T> | undefined;
  private readonly hostBuckets: number;

  /**
   * `ranked` is sorted by precedence (its index is the rank). Routes are compiled bucket by
   * bucket, so the objects one lookup touches sit next to each other in memory.
   */
  constructor(ranked: readonly ParsedRoute<T>[]) {
    const groups = new Map<string, { host: HostSpec; ranks: number[] }>();
    for (let rank = 0; rank < ranked.length; rank++) {
      const host = ranked[rank]!.host;
      const id = `${host.kind}${host.hasPort ? 'p' : '-'}${host.key}`;
      const group = groups.get(id);
      if (group === undefined) groups.set(id, { host, ranks: [rank] });
      else group.ranks.push(rank);
    }
    let anyHost: PathBucket<T> | undefined;
    for (const { host, ranks } of groups.values()) {
      const bucket = new PathBucket<T>(ranks.map((rank) => new CompiledRoute(ranked[rank]!, rank)));
      if (host.kind === HostKind.any) anyHost = bucket;
      else if (host.kind === HostKind.wildcard) (host.hasPort ? this.wildcardPorted : this.wildcard).set(host.key, bucket);
      else (host.hasPort ? this.exactPorted : this.exact).set(host.key, bucket);
    }
    this.anyHost = anyHost;
    this.hostBuckets = groups.size - (anyHost === undefined ? 0 : 1);
    Object.freeze(this);
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

