import { EventEmitter } from 'node:events';

/** What Junction tells the outside about itself (the admin events socket streams these). */
export type JunctionEvent =
  | { readonly type: 'config.applied'; readonly revision: number; readonly keys: readonly string[]; readonly issues: number }
  | { readonly type: 'config.rejected'; readonly revision: number; readonly key: string; readonly field?: string; readonly code: string; readonly message: string }
  | {
      readonly type: 'canary.guard_tripped';
      readonly route: string;
      readonly backend: string;
      readonly requests: number;
      readonly errors: number;
      readonly errorRate: number;
      readonly maxErrorRate: number;
    }
  | { readonly type: 'canary.guard_reset'; readonly route: string; readonly backend: string }
  | { readonly type: 'health.changed'; readonly backend: string; readonly server: string; readonly healthy: boolean; readonly reason: string }
  | { readonly type: 'breaker.changed'; readonly backend: string; readonly server: string; readonly state: 'open' | 'half-open' | 'closed' };

/**
 * One bus per Junction instance (no module-level state): producers `emit`, consumers (the events
 * socket, tests) `on`. Listener exceptions are the listener's problem: `emit` never throws.
 */
export class JunctionEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  emit(event: JunctionEvent): void {
    for (const listener of this.#emitter.listeners('event') as Array<(e: JunctionEvent) => void>) {
      try {
        listener(event);
      } catch {
        // a broken consumer must not break the producer (the request path or the config applier)
      }
    }
  }

  on(listener: (event: JunctionEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}
