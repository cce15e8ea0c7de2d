import type { ResolvedTee } from '../config/defaults.js';
import type { Metrics } from '../observability/metrics.js';
import { TEE_OUTCOMES } from './outcomes.js';
import { TeeState } from './tee-state.js';

/**
 * TeeStates outlive configuration swaps, keyed by route id, position in the route's `tee` list,
 * shadow backend and the tee's own settings: changing the tee (percent, caps, timeout, ...) starts
 * fresh counts and a fresh shadow breaker, while every other change — a canary weight, a match
 * rule, another route — keeps in-flight counts, the breaker and the fidelity report going.
 */
export class TeeRegistry {
  readonly #states = new Map<string, TeeState>();

  constructor(private readonly deps: { metrics: Metrics; now?: () => number }) {}

  static key(route: string, index: number, spec: ResolvedTee): string {
    return `${route}\u0000${index}\u0000${spec.backend}\u0000${JSON.stringify(spec)}`;
  }

  acquire(key: string, route: string, spec: ResolvedTee): TeeState {
    let state = this.#states.get(key);
    if (state === undefined) {
      state = new TeeState(route, spec.backend, spec, this.deps.metrics, this.deps.now ?? Date.now);
      this.#states.set(key, state);
    }
    return state;
  }

  /** Releases states not in `live`; metric series go when no live tee has the same labels. */
  retain(live: ReadonlySet<string>): void {
    const liveLabels = new Set<string>();
    for (const [key, s] of this.#states) if (live.has(key)) liveLabels.add(`${s.route}\u0000${s.backend}`);
    for (const [key, s] of this.#states) {
      if (live.has(key)) continue;
      this.#states.delete(key);
      s.close();
      if (liveLabels.has(`${s.route}\u0000${s.backend}`)) continue;
      const { metrics } = this.deps;
      for (const outcome of TEE_OUTCOMES) metrics.teeRequests.remove({ route: s.route, backend: s.backend, outcome });
      metrics.teeDuration.remove({ route: s.route, backend: s.backend });
      for (const result of ['match', 'mismatch']) metrics.teeCompare.remove({ route: s.route, backend: s.backend, result });
    }
  }

  reports() {
    return [...this.#states.values()].map((s) => s.report());
  }

  close(): void {
    for (const s of this.#states.values()) s.close();
    this.#states.clear();
  }
}
