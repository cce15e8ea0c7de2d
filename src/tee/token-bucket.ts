/**
 * A token bucket for `maxRps`: `rate` tokens a second, at most `rate` (one second's worth) saved
 * up. Refilled lazily from the clock on each take: no timers.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly now: () => number,
  ) {
    this.#tokens = rate;
    this.#last = now();
  }

  take(): boolean {
    const t = this.now();
    this.#tokens = Math.min(this.rate, this.#tokens + ((t - this.#last) / 1000) * this.rate);
    this.#last = t;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
