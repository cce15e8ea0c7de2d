import type { Lease, Releasable } from './lease.js';

/**
 * The leases taken for one purpose — one part of a graph, or one whole graph build — released
 * together: when the part is replaced, or when the build fails halfway. Released last-in first-out;
 * every lease is released even if a registry's cleanup throws (the first error is rethrown after).
 */
export class LeaseScope implements Releasable {
  #held: Releasable[] = [];

  /** Keeps `lease` in this scope and returns its value. */
  hold<T>(lease: Lease<T>): T {
    this.#held.push(lease);
    return lease.value;
  }

  /** Keeps a scope or lease taken elsewhere in this one (released with it). */
  add(r: Releasable): void {
    this.#held.push(r);
  }

  /** A new scope of its own, released with this one as well. */
  child(): LeaseScope {
    const scope = new LeaseScope();
    this.#held.push(scope);
    return scope;
  }

  /** Releases everything held, once: the scope is empty afterwards. */
  release(): void {
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    let failure: { err: unknown } | undefined;
    for (const r of held.reverse()) {
      try {
        r.release();
      } catch (err) {
        failure ??= { err };
      }
    }
    if (failure !== undefined) throw failure.err;
  }
}
