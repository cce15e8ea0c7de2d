/**
 * Passive outlier detection from real traffic: `consecutive` transport failures in a row (connect
 * errors, resets, timeouts; 5xx answers are the breaker's business) eject the server for a backoff that doubles with each ejection (10 s,
 * 20 s, ... up to 5 min) and resets after it stays healthy through a full backoff period.
 */
export class OutlierDetector {
  #failures = 0;
  #ejections = 0;
  #ejectedUntil = 0;
  #lastEjectedAt = 0;

  constructor(
    private readonly now: () => number,
    private readonly onChange: (ejected: boolean, untilMs: number) => void,
    readonly consecutive = 5,
    readonly baseMs = 10_000,
    readonly maxMs = 300_000,
  ) {}

  get ejected(): boolean {
    if (this.#ejectedUntil === 0) return false;
    if (this.now() < this.#ejectedUntil) return true;
    this.#ejectedUntil = 0;
    this.onChange(false, 0);
    return false;
  }

  success(): void {
    this.#failures = 0;
    if (this.#ejections > 0 && this.#ejectedUntil === 0 && this.now() - this.#lastEjectedAt > this.#backoff() * 2) this.#ejections = 0;
  }

  failure(): void {
    if (++this.#failures < this.consecutive || this.ejected) return;
    this.#ejections++;
    this.#failures = 0;
    this.#lastEjectedAt = this.now();
    this.#ejectedUntil = this.#lastEjectedAt + this.#backoff();
    this.onChange(true, this.#ejectedUntil);
  }

  #backoff(): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, this.#ejections - 1));
  }
}
