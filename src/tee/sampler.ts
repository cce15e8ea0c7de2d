import type { IncomingHttpHeaders } from 'node:http';
import { hashKeyOf, parseHashKey, type HashKeySource } from '../balancing/hash-key.js';
import { fmix32 } from '../balancing/hash-function.js';

/**
 * Decides which requests a tee mirrors, at `percent` (0–100):
 * - without `sampleKey`, a deterministic counter: an accumulator adds `percent` per request and
 *   mirrors each time it passes 100, so 10% is exactly every tenth request (the achieved rate
 *   equals the intended one; no randomness to explain);
 * - with `sampleKey` (`header:NAME`, `cookie:NAME`, `ip`), a hash of the key into 10,000
 *   buckets: the same users are always mirrored (`percent` of the key space), and raising the
 *   percent only adds users. A request without the key falls back to the counter.
 */
export class Sampler {
  readonly #threshold: number;
  readonly #source: HashKeySource | undefined;
  #acc = 0;

  constructor(
    private readonly percent: number,
    sampleKey: string | undefined,
  ) {
    this.#threshold = Math.round(percent * 100);
    this.#source = sampleKey === undefined ? undefined : parseHashKey(sampleKey);
  }

  sample(headers: IncomingHttpHeaders, clientIp: string): boolean {
    if (this.percent >= 100) return true;
    if (this.percent <= 0) return false;
    if (this.#source !== undefined) {
      const h = hashKeyOf(this.#source, { headers, clientIp });
      if (h >= 0) return fmix32(h) % 10_000 < this.#threshold;
    }
    this.#acc += this.percent;
    if (this.#acc < 100) return false;
    this.#acc -= 100;
    return true;
  }
}
