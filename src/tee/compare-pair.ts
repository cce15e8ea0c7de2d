import type { ResponseTap } from '../contracts/tee.js';
import { ResponseDigest } from './response-digest.js';
import type { TeeState } from './tee-state.js';

/**
 * Pairs a primary response with its shadow's for compare mode. Both sides report when they are
 * finished; once both finished cleanly, the tee's state compares them. A side that failed leaves
 * the pair uncompared (the failure is counted elsewhere).
 */
export class ComparePair {
  readonly shadow: ResponseDigest;
  #primaryOk: boolean | undefined;
  #shadowOk: boolean | undefined;

  constructor(
    private readonly state: TeeState,
    private readonly primary: ResponseDigest,
    private readonly requestId: string,
    private readonly method: string,
    private readonly url: string,
  ) {
    this.shadow = new ResponseDigest(state.spec.compareHeaders);
  }

  primaryDone(ok: boolean): void {
    this.#primaryOk = ok;
    this.#settle();
  }

  shadowDone(ok: boolean): void {
    if (ok) this.shadow.finish();
    this.#shadowOk = ok;
    this.#settle();
  }

  #settle(): void {
    if (this.#primaryOk === undefined || this.#shadowOk === undefined) return;
    if (this.#primaryOk && this.#shadowOk) this.state.compare(this.primary, this.shadow, this.requestId, this.method, this.url);
  }
}

/** The primary response's digest and the compare pairs waiting on it (one per comparing tee). */
export class PrimaryTap implements ResponseTap {
  readonly digest: ResponseDigest;
  readonly pairs: ComparePair[] = [];
  #settled = false;

  constructor(headerNames: readonly string[]) {
    this.digest = new ResponseDigest(headerNames);
  }

  done(ok: boolean): void {
    if (this.#settled) return;
    this.#settled = true;
    if (ok) this.digest.finish();
    for (const p of this.pairs) p.primaryDone(ok);
  }
}
