import { Upstream, upstreamKey, type UpstreamOptions } from './upstream.js';

/**
 * The long-lived resources that outlive configuration swaps (DESIGN: "a swap only rebuilds the
 * cheap objects"). A graph build `acquire`s what it needs; `retain(keys)` after the swap closes,
 * gracefully, whatever the new graph no longer uses.
 */
export class ResourceRegistry {
  readonly #upstreams = new Map<string, Upstream>();

  acquire(opts: UpstreamOptions): Upstream {
    const key = upstreamKey(opts);
    let up = this.#upstreams.get(key);
    if (!up || up.closed) {
      up = new Upstream(opts);
      this.#upstreams.set(key, up);
    }
    return up;
  }

  /** Closes (gracefully: in-flight requests finish) every upstream whose key is not in `live`. */
  retain(live: ReadonlySet<string>): void {
    for (const [key, up] of this.#upstreams) {
      if (live.has(key)) continue;
      this.#upstreams.delete(key);
      void up.close();
    }
  }

  get size(): number {
    return this.#upstreams.size;
  }

  async close(force = false): Promise<void> {
    const all = [...this.#upstreams.values()];
    this.#upstreams.clear();
    await Promise.all(all.map((u) => (force ? u.destroy() : u.close())));
  }
}
