import type { Logger } from 'pino';
import type { GuardSpec } from '../config/schema/route.js';
import type { JunctionEvents } from '../observability/events.js';
import type { Metrics } from '../observability/metrics.js';
import { SeriesOwners } from '../observability/series-owners.js';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
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

/** One (route, backend)'s guard, with the labels of its gauge. */
export interface GuardEntry {
  readonly route: string;
  readonly backend: string;
  readonly guard: GuardWindow;
}

/**
 * Guards outlive configuration swaps but not decisions: they are keyed by route id, the route
 * document's revision and backend id, so rewriting the route (new weights, or the same ones)
 * starts fresh guards, while unrelated changes leave a tripped guard tripped. When the last lease
 * on a guard is released, a tripped one reports `canary.guard_reset`, and its gauge series goes
 * unless another live guard has the same labels (the route's next revision).
 */
export class GuardRegistry {
  readonly #entries = new LeaseTable<GuardEntry>((e) => this.#release(e));
  /** live guards per gauge series (route, backend) */
  readonly #series = new SeriesOwners();

  constructor(
    private readonly deps: { metrics: Metrics; logger: Logger; events: JunctionEvents; now?: () => number },
  ) {}

  acquire(route: string, routeRevision: number, backend: string, spec: GuardSpec): Lease<GuardEntry> {
    return this.#entries.acquire(`${route}\u0000${routeRevision}\u0000${backend}`, () => this.#create(route, backend, spec));
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

  #create(route: string, backend: string, spec: GuardSpec): GuardEntry {
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
    this.#series.add(`${route}\u0000${backend}`);
    return { route, backend, guard };
  }

  /** the last lease on a guard went */
  #release(e: GuardEntry): void {
    if (e.guard.tripped) this.deps.events.emit({ type: 'canary.guard_reset', route: e.route, backend: e.backend });
    if (this.#series.remove(`${e.route}\u0000${e.backend}`)) this.deps.metrics.canaryGuardTripped.remove({ route: e.route, backend: e.backend });
  }
}
