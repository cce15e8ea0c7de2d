import type { ResolvedRetry } from '../config/defaults.js';
import type { RetryRules, UpstreamErrorKind } from '../contracts/backend.js';
import type { RetryBudget } from './retry-budget.js';

/** RFC 9110 idempotent methods: the only ones Junction ever retries (and only without a body). */
export const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * A backend's retry rules, built once per configuration from BackendSpec.retry: how many tries
 * after the first (each on another server), on which failures (`connect`, `reset`, `timeout`,
 * `5xx`, or single statuses like `503`), within the backend's budget.
 */
export class RetryPolicy implements RetryRules {
  readonly attempts: number;
  readonly #kinds: ReadonlySet<string>;
  readonly #statuses: ReadonlySet<number>;
  readonly #any5xx: boolean;

  constructor(
    spec: ResolvedRetry,
    readonly budget: RetryBudget,
  ) {
    this.attempts = spec.attempts;
    this.#kinds = new Set(spec.on.filter((o) => !/^\d+$/.test(o) && o !== '5xx'));
    this.#statuses = new Set(spec.on.filter((o) => /^\d+$/.test(o)).map(Number));
    this.#any5xx = spec.on.includes('5xx');
  }

  /** a failure before any response: connect (also a closed pool or connect timeout), reset, timeout */
  retriesKind(kind: UpstreamErrorKind): boolean {
    switch (kind) {
      case 'connect':
      case 'connect_timeout':
      case 'closed':
        return this.#kinds.has('connect');
      case 'reset':
        return this.#kinds.has('reset');
      case 'timeout':
        return this.#kinds.has('timeout');
      default:
        return false;
    }
  }

  retriesStatus(status: number): boolean {
    return this.#statuses.has(status) || (this.#any5xx && status >= 500);
  }
}
