import type { Counter, Histogram } from 'prom-client';
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
 * All RouteSeries, long-lived across configuration swaps so counters keep counting; series of
 * pairs that no longer exist are removed when a new graph is swapped in.
 */
export class RouteSeriesCache {
  readonly #series = new Map<string, RouteSeries>();

  constructor(private readonly metrics: Metrics) {}

  get(route: string, backend: string): RouteSeries {
    const key = `${route}\u0000${backend}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = new RouteSeries(this.metrics, route, backend);
      this.#series.set(key, s);
    }
    return s;
  }

  /** Keeps the pairs in `live` (keys `route\0backend`) and removes the rest. */
  retain(live: ReadonlySet<string>): void {
    for (const [key, s] of this.#series) {
      if (live.has(key) || s.route === '') continue;
      s.remove();
      this.#series.delete(key);
    }
  }
}

export function seriesKey(route: string, backend: string): string {
  return `${route}\u0000${backend}`;
}
