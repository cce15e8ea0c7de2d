import type { GuardSpec } from '../config/schema/route.js';

const BUCKETS = 10;

export interface GuardStats {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
}

/**
 * The canary guard of one (route, backend): a rolling window of `windowMs` in ten buckets,
 * counting requests and errors (5xx answers and upstream failures). When, with at least
 * `minRequests` in the window, the error rate exceeds `maxErrorRate`, the guard trips — and stays
 * tripped: only a new version of the route's document (an operator deciding again) makes a new one.
 */
export class GuardWindow {
  readonly #spec: GuardSpec;
  readonly #now: () => number;
  readonly #bucketMs: number;
  readonly #epoch = new Float64Array(BUCKETS).fill(-1);
  readonly #requests = new Uint32Array(BUCKETS);
  readonly #errors = new Uint32Array(BUCKETS);
  readonly #onTrip: (stats: GuardStats) => void;
  #tripped = false;
  #trippedAt: number | undefined;
  #tripStats: GuardStats | undefined;

  constructor(spec: GuardSpec, now: () => number, onTrip: (stats: GuardStats) => void) {
    this.#spec = spec;
    this.#now = now;
    this.#bucketMs = Math.max(1, spec.windowMs / BUCKETS);
    this.#onTrip = onTrip;
  }

  get tripped(): boolean {
    return this.#tripped;
  }

  get trippedAt(): number | undefined {
    return this.#trippedAt;
  }

  get spec(): GuardSpec {
    return this.#spec;
  }

  /** Records one finished request to this backend. */
  record(isError: boolean): void {
    const tick = Math.floor(this.#now() / this.#bucketMs);
    const slot = tick % BUCKETS;
    if (this.#epoch[slot] !== tick) {
      this.#epoch[slot] = tick;
      this.#requests[slot] = 0;
      this.#errors[slot] = 0;
    }
    (this.#requests[slot] as number)++;
    if (isError) (this.#errors[slot] as number)++;
    if (this.#tripped || !isError) return;
    const stats = this.#window(tick);
    if (stats.requests >= this.#spec.minRequests && stats.errorRate > this.#spec.maxErrorRate) {
      this.#tripped = true;
      this.#trippedAt = this.#now();
      this.#tripStats = stats;
      this.#onTrip(stats);
    }
  }

  /** The window as it stands now (or as it stood when the guard tripped). */
  stats(): GuardStats {
    return this.#tripStats ?? this.#window(Math.floor(this.#now() / this.#bucketMs));
  }

  #window(tick: number): GuardStats {
    let requests = 0;
    let errors = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const e = this.#epoch[i] as number;
      if (e > tick - BUCKETS && e <= tick) {
        requests += this.#requests[i] as number;
        errors += this.#errors[i] as number;
      }
    }
    return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests };
  }
}

/** What counts against a canary: 5xx answers (the upstream's or Junction's 502/503/504). 499 is the client's doing. */
export function isGuardError(status: number): boolean {
  return status >= 500 && status <= 599;
}
