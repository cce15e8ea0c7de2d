import type { ResponseTap, TeeOffer, Tees } from '../contracts/tee.js';
import { PrimaryTap } from './compare-pair.js';
import type { TeeRuntime } from './tee-runtime.js';

/**
 * The tees of one route, for one snapshot: what forwarding offers each request to. Built only for
 * routes that have tees, so a route without any costs forwarding one `undefined` check.
 */
export class RouteTees implements Tees {
  constructor(
    readonly list: readonly TeeRuntime[],
    /** the response headers its comparing tees compare (lower case), or undefined when none compares */
    readonly compareHeaders: readonly string[] | undefined,
  ) {}

  offer(o: TeeOffer): ResponseTap | undefined {
    // Copies go out first, in this same tick: a body copy must start listening before undici
    // starts reading the request for the primary. Nothing here waits for the shadow.
    const tap = this.compareHeaders === undefined ? undefined : new PrimaryTap(this.compareHeaders);
    for (const tee of this.list) tee.offer(o, tap);
    return tap;
  }
}
