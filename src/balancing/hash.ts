import { combine32, fmix32, fnv1a32 } from './hash-function.js';
import { hashKeyOf, type HashKeySource } from './hash-key.js';
import { activeExclude } from './pickable.js';
import { SmoothRoundRobin } from './round-robin.js';
import type { Balancer, Pickable, PickInput } from './types.js';

const TWO_POW_32 = 4294967296;
const LOWER_BOUND_MARGIN = 1 - 1e-9;

/**
 * Consistent hashing by weighted rendezvous (highest-random-weight) hashing: for a key k each
 * server s gets the score -ln(u(k, s)) / weight(s), with u uniform in (0, 1) from
 * hash(k) combined with hash(s.id), and the lowest score wins. Server s wins with probability
 * exactly weight(s) / total weight (the minimum of exponential variables), so
 *
 * - weights are honoured exactly in expectation, for any integers up to 1e6, with no virtual-node
 *   table to size or rebuild;
 * - a key's choice depends only on the key and the ids and weights of the servers: the same
 *   servers in any order, in any snapshot, give the same answer;
 * - adding a server moves only the keys it now wins (weight share of them) and only onto it;
 *   removing one moves only its keys; changing one server's weight moves keys to or from it only;
 * - when the chosen server is unavailable or excluded, the key goes to its next-best server,
 *   deterministically — the server it would map to if the first were removed — so a failed
 *   server's keys spread over the others in proportion to weight instead of all landing on one
 *   ring neighbour.
 *
 * Cost: O(servers) per pick, no allocation: one integer mix per server (about 10 ns), and when
 * weights differ a logarithm only for the few servers whose cheap lower bound could still win.
 * A ring or a Maglev table would make it O(log n) or O(1), at the price of a table to build on
 * every swap and weights that are only approximated; for the tens to hundreds of servers a
 * backend has, a microsecond or less per pick is not worth that.
 *
 * A request without the key (or with an empty one) is balanced by smooth weighted round-robin.
 */
export class RendezvousHash<S extends Pickable> implements Balancer<S> {
  readonly kind = 'hash' as const;
  private readonly servers: readonly S[];
  private readonly seeds: Int32Array;
  /** 1 / weight, or 0 for never-picked servers. */
  private readonly inverseWeights: Float64Array;
  /** All positive weights equal: the lowest score is the highest hash, no logarithm needed. */
  private readonly uniform: boolean;
  private readonly fallback: SmoothRoundRobin<S>;

  constructor(
    servers: readonly S[],
    private readonly source: HashKeySource,
  ) {
    this.servers = servers;
    this.seeds = new Int32Array(servers.length);
    this.inverseWeights = new Float64Array(servers.length);
    let first = 0;
    let uniform = true;
    for (let i = 0; i < servers.length; i++) {
      const s = servers[i]!;
      const inv = Number.isFinite(s.weight) && s.weight > 0 ? 1 / s.weight : 0;
      this.seeds[i] = fmix32(fnv1a32(s.id));
      this.inverseWeights[i] = inv;
      if (inv !== 0) {
        if (first === 0) first = inv;
        else if (inv !== first) uniform = false;
      }
    }
    this.uniform = uniform;
    this.fallback = new SmoothRoundRobin(servers);
  }

  pick(input: PickInput): S | undefined {
    const key = hashKeyOf(this.source, input);
    if (key < 0) return this.fallback.pick(input);
    const { servers, seeds, inverseWeights } = this;
    const exclude = activeExclude(input.exclude);
    let best = -1;
    let bestScore = Infinity;
    for (let i = 0; i < servers.length; i++) {
      const inv = inverseWeights[i]!;
      if (inv === 0) continue;
      const h = combine32(key, seeds[i]!);
      let score: number;
      if (this.uniform) score = -h;
      else {
        const u = (h + 0.5) / TWO_POW_32;
        // -ln(u) >= 1 - u: skip the logarithm for servers that cannot win (the margin keeps the
        // skip order-independent in the face of rounding)
        if ((1 - u) * inv * LOWER_BOUND_MARGIN > bestScore) continue;
        score = -Math.log(u) * inv;
      }
      if (score > bestScore) continue;
      const s = servers[i]!;
      if (score === bestScore && s.id > servers[best]!.id) continue; // order-independent tie-break
      if ((exclude !== undefined && exclude.has(s.id)) || !s.isAvailable()) continue;
      best = i;
      bestScore = score;
    }
    return best < 0 ? undefined : servers[best];
  }
}
