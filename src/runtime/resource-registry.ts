import { createHash } from 'node:crypto';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
import { Upstream, type UpstreamOptions } from './upstream.js';

/** The identity of an upstream: what cannot change without a new pool. */
function upstreamKey(o: UpstreamOptions): string {
  const base = `${o.origin}|c=${o.connections}|ct=${o.connectTimeoutMs}`;
  return o.tls === undefined ? base : `${base}|tls=${createHash('sha256').update(JSON.stringify(o.tls)).digest('base64')}`;
}

/**
 * The long-lived upstreams (undici pools and load state) that outlive configuration swaps
 * (DESIGN: "a swap only rebuilds the cheap objects"), keyed by origin plus the options a pool
 * cannot change. A graph build leases what it needs; when the last lease on an upstream is
 * released, its pool is closed gracefully (in-flight requests finish).
 */
export class ResourceRegistry {
  readonly #upstreams = new LeaseTable<Upstream>((up) => void up.close());

  acquire(opts: UpstreamOptions): Lease<Upstream> {
    const key = upstreamKey(opts);
    // one closed under its holders (only shutdown does that) is not handed out again
    if (this.#upstreams.peek(key)?.closed === true) this.#upstreams.detach(key);
    return this.#upstreams.acquire(key, () => new Upstream(opts));
  }

  /** how many upstreams are held */
  get size(): number {
    return this.#upstreams.size;
  }

  /** Closes every upstream, gracefully or (`force`) failing what is in flight; leases still held release nothing. */
  async close(force = false): Promise<void> {
    const all = this.#upstreams.clear();
    await Promise.all(all.map((u) => (force ? u.destroy() : u.close())));
  }
}
