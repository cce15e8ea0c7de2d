import { EventEmitter } from 'node:events';

/**
 * One timer per bucket length for all the breakers' rolling windows (opossum's
 * `rotateBucketController`), instead of one interval timer per breaker. At 5,000 servers the
 * per-breaker timers cost 3% of a core at rest and stalled the event loop up to 9 ms once a second
 * (`node dist/bench/config-apply.js`, idle line). Owned by the HealthRegistry (no module state).
 */
export class BucketClocks {
  readonly #clocks = new Map<number, { readonly emitter: EventEmitter; readonly timer: NodeJS.Timeout }>();

  /** the emitter that rotates a window of `windowMs` split into `buckets` */
  for(windowMs: number, buckets: number): EventEmitter {
    const interval = Math.max(1, Math.floor(windowMs / buckets));
    let clock = this.#clocks.get(interval);
    if (clock === undefined) {
      const emitter = new EventEmitter();
      emitter.setMaxListeners(0);
      const timer = setInterval(() => emitter.emit('rotate'), interval);
      timer.unref();
      clock = { emitter, timer };
      this.#clocks.set(interval, clock);
    }
    return clock.emitter;
  }

  close(): void {
    for (const c of this.#clocks.values()) clearInterval(c.timer);
    this.#clocks.clear();
  }
}
