import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { ComparePair } from './compare-pair.js';

/** A shadow response with a 5xx status fails the copy (and feeds the shadow breaker). */
export class ShadowStatusError extends Error {
  readonly code = 'shadow_status';
  constructor(readonly status: number) {
    super(`the shadow answered ${status}`);
  }
}

export class ShadowTimeoutError extends Error {
  readonly code = 'shadow_timeout';
  constructor(ms: number) {
    super(`the shadow took longer than ${ms} ms`);
  }
}

/**
 * The undici handler of one shadow request: it reads and discards the body as fast as it comes
 * (hashing it in compare mode), never pauses, and is bounded by the tee's `timeoutMs` end to end.
 * It shares nothing with the client's request: no abort signal, no backpressure.
 */
export class ShadowHandler implements Dispatcher.DispatchHandler {
  readonly start = performance.now();
  #abort: ((err?: Error) => void) | undefined;
  #status = 0;
  #done = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly resolve: () => void,
    private readonly reject: (err: Error) => void,
    private readonly pair: ComparePair | undefined,
    timeoutMs: number,
  ) {
    this.#timer = setTimeout(() => this.#fail(new ShadowTimeoutError(timeoutMs)), timeoutMs);
    this.#timer.unref();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.#status = statusCode;
    this.pair?.shadow.onHeaders(statusCode, rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.pair?.shadow.onData(chunk);
    return true;
  }

  onComplete(): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    if (this.#status >= 500) {
      this.pair?.shadowDone(false);
      this.reject(new ShadowStatusError(this.#status));
      return;
    }
    this.pair?.shadowDone(true);
    this.resolve();
  }

  onError(err: Error): void {
    this.#fail(err);
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.#abort?.(err);
    this.pair?.shadowDone(false);
    this.reject(err);
  }
}
