import { ServerLoad, type Pickable } from '../../src/balancing/index.js';

/** A server as the balancers see it, with availability a test can flip. */
export class TestServer implements Pickable {
  available = true;
  readonly load: ServerLoad;
  constructor(
    readonly id: string,
    readonly weight = 1,
    now?: () => number,
  ) {
    this.load = new ServerLoad(now ? { now } : {});
  }
  isAvailable(): boolean {
    return this.available;
  }
}

/** mulberry32: a small seeded PRNG so every run draws the same numbers. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
