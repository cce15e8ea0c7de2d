import type { Counter, Histogram } from 'prom-client';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
import type { Metrics } from './metrics.js';

type CounterChild = ReturnType<Counter<'route' | 'backend' | 'code'>['labels']>;
type HistogramChild = ReturnType<Histogram<'route' | 'backend'>['labels']>;

/**
 * The metric series of one (route, backend) pair, with label children resolved once instead of
 * hashing label values on every request. Status codes are bounded (100-599), so a small map.
 */
export class RouteSeries {
  readonly duration: HistogramChild;
  readonly #codes = new Map<number, CounterChild>();

  constructor(
    private readonly metrics: Metrics,
    readonly route: string,
    readonly backend: string,
  ) {
    this.duration = metrics.httpDuration.labels(route, backend);
  }

  record(status: number, seconds: number): void {
    let child = this.#codes.get(status);
    if (child === undefined) {
      child = this.metrics.httpRequests.labels(this.route, this.backend, String(status));
      this.#codes.set(status, child);
    }
    child.inc();
    this.duration.observe(seconds);
  }

  /** Removes this pair's series from the registry (the route or backend is gone). */
  remove(): void {
    for (const code of this.#codes.keys()) {
      this.metrics.httpRequests.remove({ route: this.route, backend: this.backend, code: String(code) });
    }
    this.metrics.httpDuration.remove({ route: this.route, backend: this.backend });
    this.#codes.clear();
  }
}

/**
 * All RouteSeries, long-lived across configuration swaps so counters keep counting. Each is leased
 * by the routes that record into it; when the last lease on a (route, backend) pair is released
 * (the route or the backend is gone), its series are removed from the metrics registry.
 */
export class RouteSeriesCache {
  readonly #series = new LeaseTable<RouteSeries>((s) => s.remove());

  constructor(private readonly metrics: Metrics) {}

  acquire(route: string, backend: string): Lease<RouteSeries> {
    return this.#series.acquire(`${route}\u0000${backend}`, () => new RouteSeries(this.metrics, route, backend));
  }
}
