import { ServerLoad } from '../balancing/server-load.js';
import type { Pickable } from '../balancing/types.js';
import type { RouteTarget } from '../contracts/route.js';

/**
 * One side of a split, as the balancers see it: the backend id, its weight, and availability =
 * "its guard has not tripped" — unless every weighted arm has tripped, in which case the guard
 * stands aside (pulling back the canary must never leave a route with nowhere to go).
 */
export class SplitArm implements Pickable {
  readonly id: string;
  readonly weight: number;
  readonly load = new ServerLoad();
  readonly target: RouteTarget;
  #siblings: readonly SplitArm[] = [];

  constructor(target: RouteTarget, weight: number) {
    this.id = target.backend.id;
    this.weight = weight;
    this.target = target;
  }

  set siblings(arms: readonly SplitArm[]) {
    this.#siblings = arms;
  }

  get tripped(): boolean {
    return this.target.guard?.tripped === true;
  }

  isAvailable(): boolean {
    if (!this.tripped) return true;
    for (const arm of this.#siblings) if (arm.weight > 0 && !arm.tripped) return false;
    return true;
  }
}
