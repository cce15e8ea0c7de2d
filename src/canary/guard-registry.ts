import type { Logger } from 'pino';
import type { GuardSpec } from '../config/schema/route.js';
import type { JunctionEvents } from '../observability/events.js';
import type { Metrics } from '../observability/metrics.js';
import { GuardWindow } from './guard-window.js';

export interface GuardState {
  readonly route: string;
  readonly backend: string;
  readonly tripped: boolean;
  readonly trippedAt: string | null;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly maxErrorRate: number;
  readonly minRequests: number;
  readonly windowMs: number;
}

interface Entry {
  readonly route: string;
  readonly backend: string;
  readonly guard: GuardWindow;
}

/**
 * Guards outlive configuration swaps but not decisions: they are keyed by route id, the route
 * document's revision and backend id, so rewriting the route (new weights, or the same ones)
 * starts fresh guards, while unrelated changes leave a tripped guard tripped.
 */
export class GuardRegistry {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly deps: { metrics: Metrics; logger: Logger; events: JunctionEvents; now?: () => number },
  ) {}

  static key(route: string, routeRevision: number, backend: string): string {
    return `${route}\u0000${routeRevision}\u0000${backend}`;
  }

  acquire(route: string, routeRevision: number, backend: string, spec: GuardSpec): GuardWindow {
    const key = GuardRegistry.key(route, routeRevision, backend);
    const existing = this.#entries.get(key);
    if (existing) return existing.guard;
    const { metrics, logger, events } = this.deps;
    const guard = new GuardWindow(spec, this.deps.now ?? Date.now, (stats) => {
      metrics.canaryGuardTripped.labels(route, backend).set(1);
      logger.warn(
        { route, backend, requests: stats.requests, errors: stats.errors, errorRate: stats.errorRate, maxErrorRate: spec.maxErrorRate },
        `canary guard tripped: ${backend} on route ${route} failed ${stats.errors} of ${stats.requests} requests in ${spec.windowMs} ms (max rate ${spec.maxErrorRate}); it gets no new non-forced traffic until the route is changed`,
      );
      events.emit({ type: 'canary.guard_tripped', route, backend, ...stats, maxErrorRate: spec.maxErrorRate });
    });
    metrics.canaryGuardTripped.labels(route, backend).set(0);
    this.#entries.set(key, { route, backend, guard });
    return guard;
  }

  /** Drops guards whose key is not in `live`; their gauge series go unless a live guard has the same labels. */
  retain(live: ReadonlySet<string>): void {
    const liveLabels = new Set<string>();
    for (const [key, e] of this.#entries) if (live.has(key)) liveLabels.add(`${e.route}\u0000${e.backend}`);
    for (const [key, e] of this.#entries) {
      if (live.has(key)) continue;
      this.#entries.delete(key);
      if (e.guard.tripped) this.deps.events.emit({ type: 'canary.guard_reset', route: e.route, backend: e.backend });
      if (!liveLabels.has(`${e.route}\u0000${e.backend}`)) this.deps.metrics.canaryGuardTripped.remove({ route: e.route, backend: e.backend });
    }
  }

  states(): GuardState[] {
    return [...this.#entries.values()].map(({ route, backend, guard }) => {
      const s = guard.stats();
      return {
        route,
        backend,
        tripped: guard.tripped,
        trippedAt: guard.trippedAt === undefined ? null : new Date(guard.trippedAt).toISOString(),
        requests: s.requests,
        errors: s.errors,
        errorRate: s.errorRate,
        maxErrorRate: guard.spec.maxErrorRate,
        minRequests: guard.spec.minRequests,
        windowMs: guard.spec.windowMs,
      };
    });
  }
}
