/**
 * A few parallel counters (requests, errors, retries...) over a rolling window, kept in `buckets`
 * buckets of `windowMs / buckets` each: a bucket is reset when the clock reaches it again, and a
 * sum counts only the buckets stamped within the last window, so a clock that jumps forward past
 * the window reads empty and one that goes back ignores the buckets it has not reached yet. Fixed
 * typed arrays: recording and summing allocate nothing (both are on the request path).
 */
export class RollingCounts {
  readonly #counters: number;
  readonly #buckets: number;
  readonly #bucketMs: number;
  readonly #now: () => number;
  /** the tick (time / bucketMs) each bucket was last reset for; -1 never */
  readonly #epoch: Float64Array;
  /** bucket-major: bucket b's counter c at b * counters + c */
  readonly #counts: Uint32Array;

  constructor(opts: { readonly counters: number; readonly windowMs: number; readonly buckets?: number; readonly now: () => number }) {
    this.#counters = opts.counters;
    this.#buckets = opts.buckets ?? 10;
    this.#bucketMs = Math.max(1, opts.windowMs / this.#buckets);
    this.#now = opts.now;
    this.#epoch = new Float64Array(this.#buckets).fill(-1);
    this.#counts = new Uint32Array(this.#buckets * this.#counters);
  }

  /**
   * The current bucket's tick: one clock read, to pass to several `add`s and `sum`s that must
   * agree on the time (each reads the clock itself when not given one).
   */
  tick(): number {
    return Math.floor(this.#now() / this.#bucketMs);
  }

  /** Adds `n` (default 1) to `counter` in the current bucket. */
  add(counter: number, n = 1, tick = this.tick()): void {
    const slot = tick % this.#buckets;
    const at = slot * this.#counters;
    if (this.#epoch[slot] !== tick) {
      this.#epoch[slot] = tick;
      this.#counts.fill(0, at, at + this.#counters);
    }
    (this.#counts[at + counter] as number) += n;
  }

  /** `counter` summed over the window as it stands now. */
  sum(counter: number, tick = this.tick()): number {
    let total = 0;
    for (let b = 0; b < this.#buckets; b++) {
      const e = this.#epoch[b] as number;
      if (e > tick - this.#buckets && e <= tick) total += this.#counts[b * this.#counters + counter] as number;
    }
    return total;
  }
}
