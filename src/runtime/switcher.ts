import type { Graph } from '../contracts/graph.js';

/**
 * Holds the current runtime graph. A swap is one reference assignment: a request reads `current`
 * once when it arrives and keeps that graph to the end, whatever is swapped in meanwhile.
 */
export class Switcher {
  #current: Graph | undefined;
  #generation = 0;

  get current(): Graph | undefined {
    return this.#current;
  }

  /** how many graphs have been swapped in */
  get generation(): number {
    return this.#generation;
  }

  swap(next: Graph): Graph | undefined {
    const previous = this.#current;
    this.#current = next;
    this.#generation++;
    return previous;
  }
}
