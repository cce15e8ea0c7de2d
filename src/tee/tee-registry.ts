import type { ResolvedTee } from '../config/defaults.js';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
import type { Metrics } from '../observability/metrics.js';
import { SeriesOwners } from '../observability/series-owners.js';
import { TEE_OUTCOMES } from './outcomes.js';
import { TeeState } from './tee-state.js';

/**
 * TeeStates outlive configuration swaps, keyed by route id, position in the route's `tee` list,
 * shadow backend and the tee's own settings: changing the tee (percent, caps, timeout, ...) starts
 * fresh counts and a fresh shadow breaker, while every other change — a canary weight, a match
 * rule, another route — keeps in-flight counts, the breaker and the fidelity report going. When the
 * last lease on a state is released it is closed, and its metric series go unless another live tee
 * has the same labels (route, shadow backend).
 */
export class TeeRegistry {
  readonly #states = new LeaseTable<TeeState>((s) => this.#release(s));
  readonly #series = new SeriesOwners();

  constructor(private readonly deps: { metrics: Metrics; now?: () => number }) {}

  /** the state of the `index`th tee of `route` */
  acquire(route: string, index: number, spec: ResolvedTee): Lease<TeeState> {
    const key = `${route}\u0000${index}\u0000${spec.backend}\u0000${JSON.stringify(spec)}`;
    return this.#states.acquire(key, () => {
      const state = new TeeState(route, spec.backend, spec, this.deps.metrics, this.deps.now ?? Date.now);
      this.#series.add(`${route}\u0000${spec.backend}`);
      return state;
    });
  }

  reports() {
    return [...this.#states.values()].map((s) => s.report());
  }

  /** Closes every state (shutdown); leases still held release nothing. */
  close(): void {
    for (const s of this.#states.clear()) s.close();
  }

  /** the last lease on a state went */
  #release(s: TeeState): void {
    s.close();
    if (!this.#series.remove(`${s.route}\u0000${s.backend}`)) return;
    const { metrics } = this.deps;
    for (const outcome of TEE_OUTCOMES) metrics.teeRequests.remove({ route: s.route, backend: s.backend, outcome });
    metrics.teeDuration.remove({ route: s.route, backend: s.backend });
    for (const result of ['match', 'mismatch']) metrics.teeCompare.remove({ route: s.route, backend: s.backend, result });
  }
}
