import { activeExclude, weightsOf } from './pickable.js';
import type { Balancer, Pickable, PickInput } from './types.js';

/**
 * nginx's smooth weighted round-robin. Each pick adds every pickable server's weight to its
 * current weight, takes the server with the highest current weight (the earliest in list order
 * on a tie) and subtracts the total pickable weight from it. For {a:5, b:1, c:1} the sequence is
 * a a b a c a a; over any multiple of the weight sum the counts are exact, and each server's
 * picks are spread evenly through the cycle instead of in bursts.
 *
 * Unavailable and excluded servers are left out of that pick (their current weight is frozen),
 * so their share goes to the others in proportion to weight. The state lives in this object and
 * restarts when a configuration swap builds a new balancer, as it does on an nginx reload.
 * O(servers) per pick, no allocation.
 */
export class SmoothRoundRobin<S extends Pickable> implements Balancer<S> {
  readonly kind = 'round-robin' as const;
  private readonly servers: readonly S[];
  private readonly weights: Float64Array;
  private readonly current: Float64Array;

  constructor(servers: readonly S[]) {
    this.servers = servers;
    this.weights = weightsOf(servers);
    this.current = new Float64Array(servers.length);
  }

  pick(input: PickInput): S | undefined {
    const { servers, weights, current } = this;
    const exclude = activeExclude(input.exclude);
    let best = -1;
    let bestCurrent = 0;
    let total = 0;
    for (let i = 0; i < servers.length; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      const s = servers[i]!;
      if ((exclude !== undefined && exclude.has(s.id)) || !s.isAvailable()) continue;
      const c = current[i]! + w;
      current[i] = c;
      total += w;
      if (best < 0 || c > bestCurrent) {
        best = i;
        bestCurrent = c;
      }
    }
    if (best < 0) return undefined;
    current[best] = bestCurrent - total;
    return servers[best];
  }
}
