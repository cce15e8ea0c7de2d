import type { ConfigSnapshot } from '../config/snapshot.js';
import type { Graph } from '../contracts/graph.js';

/**
 * The one holder of what is current: the runtime graph, and through it (`graph.snapshot`) the
 * configuration snapshot it was built from. Nothing else keeps a "current" copy: the config
 * manager builds the next snapshot from `snapshot`, the status and admin API read it here. A swap
 * is one reference assignment: a request reads `current` once when it arrives and keeps that graph
 * to the end, whatever is swapped in meanwhile.
 */
export class Switcher {
  #current: Graph | undefined;
  #generation = 0;

  get current(): Graph | undefined {
    return this.#current;
  }

  /** the snapshot of the current graph */
  get snapshot(): ConfigSnapshot | undefined {
    return this.#current?.snapshot;
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
