import { activeExclude, isPickable, weightsOf } from './pickable.js';
import type { Balancer, Pickable, PickInput } from './types.js';

/** Random draws before falling back to a scan of the whole list (when many servers are unpickable). */
const MAX_DRAWS = 4;

/**
 * Power of two choices: draw two distinct servers uniformly from the pickable ones and keep the
 * one with the lower metric per unit of weight (metric(a) / weight(a), compared by
 * cross-multiplication); on a tie the higher weight wins, then a coin flip.
 *
 * Draws are rejection-sampled over the whole list (expected O(1) when most servers are pickable);
 * after MAX_DRAWS misses it scans into a buffer allocated once per balancer, which keeps each
 * draw uniform over the pickable set. No allocation per pick.
 */
export class PowerOfTwoChoices<S extends Pickable> implements Balancer<S> {
  private readonly weights: Float64Array;
  private readonly scratch: Int32Array;

  constructor(
    readonly kind: 'least-request' | 'ewma',
    private readonly servers: readonly S[],
    private readonly random: () => number,
    /** Lower is better; called for the two candidates only. */
    private readonly metric: (server: S) => number,
  ) {
    this.weights = weightsOf(servers);
    this.scratch = new Int32Array(servers.length);
  }

  pick(input: PickInput): S | undefined {
    const exclude = activeExclude(input.exclude);
    const a = this.draw(-1, exclude);
    if (a < 0) return undefined;
    const b = this.draw(a, exclude);
    if (b < 0) return this.servers[a];
    return this.servers[this.better(a, b)];
  }

  /** A uniformly random pickable index other than `skip` (-1: none to skip), or -1 if there is none. */
  private draw(skip: number, exclude: ReadonlySet<string> | undefined): number {
    const { servers, weights } = this;
    const n = servers.length;
    const range = skip < 0 ? n : n - 1;
    if (range <= 0) return -1;
    for (let t = 0; t < MAX_DRAWS; t++) {
      let i = this.index(range);
      if (skip >= 0 && i >= skip) i++;
      if (isPickable(servers[i]!, weights[i]!, exclude)) return i;
    }
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (i !== skip && isPickable(servers[i]!, weights[i]!, exclude)) this.scratch[m++] = i;
    }
    return m === 0 ? -1 : this.scratch[this.index(m)]!;
  }

  private better(a: number, b: number): number {
    const wa = this.weights[a]!;
    const wb = this.weights[b]!;
    const x = this.metric(this.servers[a]!) * wb;
    const y = this.metric(this.servers[b]!) * wa;
    if (x < y) return a;
    if (y < x) return b;
    if (wa !== wb) return wa > wb ? a : b;
    return this.random() < 0.5 ? a : b;
  }

  /** Uniform integer in [0, n), robust to a random source that returns 1. */
  private index(n: number): number {
    const i = Math.floor(this.random() * n);
    return i < n ? i : n - 1;
  }
}
