import type { RetryAllowance } from '../contracts/backend.js';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
import { RollingCounts } from '../observability/rolling-counts.js';

const REQUESTS = 0;
const RETRIES = 1;
const WINDOW_MS = 10_000;

/**
 * A backend's retry budget (Envoy's idea): over the last 10 s (ten 1 s buckets), retries may be at
 * most `percent` of requests — and at least 10, so a quiet backend can still retry — so retries
 * never multiply an outage.
 * Long-lived across configuration swaps (one per backend id).
 */
export class RetryBudget implements RetryAllowance {
  readonly #window: RollingCounts;
  percent: number;

  constructor(
    percent: number,
    now: () => number = Date.now,
    private readonly minRetries = 10,
  ) {
    this.percent = percent;
    this.#window = new RollingCounts({ counters: 2, windowMs: WINDOW_MS, now });
  }

  onRequest(): void {
    this.#window.add(REQUESTS);
  }

  /** whether one more retry fits the budget (does not consume it) */
  canRetry(): boolean {
    const tick = this.#window.tick();
    return this.#window.sum(RETRIES, tick) < Math.max(this.minRetries, (this.#window.sum(REQUESTS, tick) * this.percent) / 100);
  }

  onRetry(): void {
    this.#window.add(RETRIES);
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
