import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';

const BUCKETS = 10;
const BUCKET_MS = 1000;

/**
 * A backend's retry budget (Envoy's idea): over the last 10 s, retries may be at most `percent`
 * of requests — and at least 10, so a quiet backend can still retry — so retries never multiply
 * an outage.
 * Long-lived across configuration swaps (one per backend id).
 */
export class RetryBudget {
  readonly #epoch = new Float64Array(BUCKETS).fill(-1);
  readonly #requests = new Uint32Array(BUCKETS);
  readonly #retries = new Uint32Array(BUCKETS);
  percent: number;

  constructor(
    percent: number,
    private readonly now: () => number = Date.now,
    private readonly minRetries = 10,
  ) {
    this.percent = percent;
  }

  onRequest(): void {
    (this.#requests[this.#slot()] as number)++;
  }

  /** whether one more retry fits the budget (does not consume it) */
  canRetry(): boolean {
    const tick = Math.floor(this.now() / BUCKET_MS);
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const e = this.#epoch[i] as number;
      if (e > tick - BUCKETS && e <= tick) {
        requests += this.#requests[i] as number;
        retries += this.#retries[i] as number;
      }
    }
    return retries < Math.max(this.minRetries, (requests * this.percent) / 100);
  }

  onRetry(): void {
    (this.#retries[this.#slot()] as number)++;
  }

  #slot(): number {
    const tick = Math.floor(this.now() / BUCKET_MS);
    const slot = tick % BUCKETS;
    if (this.#epoch[slot] !== tick) {
      this.#epoch[slot] = tick;
      this.#requests[slot] = 0;
      this.#retries[slot] = 0;
    }
    return slot;
  }
}

/** One RetryBudget per backend id, kept across swaps while some part of the graph leases it. */
export class RetryBudgets {
  readonly #budgets = new LeaseTable<RetryBudget>(() => undefined);

  /** the backend's budget, now allowing `percent` */
  acquire(backend: string, percent: number): Lease<RetryBudget> {
    const lease = this.#budgets.acquire(backend, () => new RetryBudget(percent));
    lease.value.percent = percent;
    return lease;
  }
}
