import type { GuardSpec } from '../config/schema/route.js';
import type { Guard } from '../contracts/route.js';
import { RollingCounts } from '../observability/rolling-counts.js';

const REQUESTS = 0;
const ERRORS = 1;

export interface GuardStats {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
}

/**
 * The canary guard of one (route, backend): a rolling window of `windowMs` in ten buckets
 * (RollingCounts), counting requests and errors (5xx answers and upstream failures). When, with at
 * least `minRequests` in the window, the error rate exceeds `maxErrorRate`, the guard trips — and
 * stays tripped: only a new version of the route's document (an operator deciding again) makes a
 * new one. Recording allocates nothing until the guard trips.
 */
export class GuardWindow implements Guard {
  readonly #spec: GuardSpec;
  readonly #now: () => number;
  readonly #window: RollingCounts;
  readonly #onTrip: (stats: GuardStats) => void;
  #tripped = false;
  #trippedAt: number | undefined;
  #tripStats: GuardStats | undefined;

  constructor(spec: GuardSpec, now: () => number, onTrip: (stats: GuardStats) => void) {
    this.#spec = spec;
    this.#now = now;
    this.#window = new RollingCounts({ counters: 2, windowMs: spec.windowMs, now });
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
    const w = this.#window;
    const tick = w.tick();
    w.add(REQUESTS, 1, tick);
    if (!isError) return;
    w.add(ERRORS, 1, tick);
    if (this.#tripped) return;
    const requests = w.sum(REQUESTS, tick);
    const errors = w.sum(ERRORS, tick);
    if (requests >= this.#spec.minRequests && (requests === 0 ? 0 : errors / requests) > this.#spec.maxErrorRate) {
      this.#tripped = true;
      this.#trippedAt = this.#now();
      this.#tripStats = stats(requests, errors);
      this.#onTrip(this.#tripStats);
    }
  }

  /** The window as it stands now (or as it stood when the guard tripped). */
  stats(): GuardStats {
    if (this.#tripStats !== undefined) return this.#tripStats;
    const tick = this.#window.tick();
    return stats(this.#window.sum(REQUESTS, tick), this.#window.sum(ERRORS, tick));
  }
}

function stats(requests: number, errors: number): GuardStats {
  return { requests, errors, errorRate: requests === 0 ? 0 : errors / requests };
}

/** What counts against a canary: 5xx answers (the upstream's or Junction's 502/503/504). 499 is the client's doing. */
export function isGuardError(status: number): boolean {
  return status >= 500 && status <= 599;
}
