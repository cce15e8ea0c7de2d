import type { Metrics } from '../../observability/metrics.js';
import { CounterDeltas, type DeltaRow } from './counter-deltas.js';

/** The per-interval `stats` message of the events socket. */
export interface StatsMessage {
  readonly type: 'stats';
  readonly at: string;
  readonly intervalMs: number;
  /** requests answered in the interval, per route, backend and status code (route "" = no route matched) */
  readonly requests: readonly DeltaRow<'route' | 'backend' | 'code'>[];
  /** shadow copies in the interval, per route, shadow backend and outcome (sent, completed, dropped_*, skipped_*...) */
  readonly tee: readonly DeltaRow<'route' | 'backend' | 'outcome'>[];
  readonly totals: { readonly requests: number; readonly teeSent: number; readonly teeDropped: number };
}

/**
 * Computes the digest from the metrics Junction already keeps (`junction_http_requests_total`,
 * `junction_tee_requests_total`): deltas of the counters between two ticks. The proxy path is
 * untouched; the cost is one read of two counters per tick, only while a client listens.
 */
export class TrafficDigest {
  readonly #requests: CounterDeltas<'route' | 'backend' | 'code'>;
  readonly #tee: CounterDeltas<'route' | 'backend' | 'outcome'>;

  constructor(metrics: Metrics) {
    this.#requests = new CounterDeltas(metrics.httpRequests, ['route', 'backend', 'code']);
    this.#tee = new CounterDeltas(metrics.teeRequests, ['route', 'backend', 'outcome']);
  }

  async baseline(): Promise<void> {
    await Promise.all([this.#requests.reset(), this.#tee.reset()]);
  }

  async next(intervalMs: number, now = new Date()): Promise<StatsMessage> {
    const [requests, tee] = await Promise.all([this.#requests.next(), this.#tee.next()]);
    const sum = (rows: readonly { count: number }[]) => rows.reduce((n, r) => n + r.count, 0);
    return {
      type: 'stats',
      at: now.toISOString(),
      intervalMs,
      requests,
      tee,
      totals: {
        requests: sum(requests),
        teeSent: sum(tee.filter((r) => r.outcome === 'sent')),
        teeDropped: sum(tee.filter((r) => r.outcome.startsWith('dropped_'))),
      },
    };
  }
}
