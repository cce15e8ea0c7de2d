import type { Logger } from 'pino';

/** Something started that must be stopped: a store client, a listener, a watcher, a registry. */
export interface Component {
  readonly name: string;
  stop(): Promise<void> | void;
}

/**
 * The components a Junction started, in the order it started them. Stopping runs them in reverse
 * — the last started (the proxy listener) first, the first started (the store) last — each
 * awaited, and a component that fails to stop is logged without keeping the others running.
 * Start-up that fails halfway stops exactly what it had started.
 */
export class Components {
  readonly #started: Component[] = [];
  #stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  /** Records a started component; returns `value` for the caller's convenience. */
  started<T>(value: T, name: string, stop: (value: T) => Promise<void> | void): T {
    this.#started.push({ name, stop: () => stop(value) });
    return value;
  }

  /** Stops everything started, newest first, once (later calls get the same promise). */
  stopAll(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const c of [...this.#started].reverse()) {
        try {
          await c.stop();
        } catch (err) {
          this.logger.warn({ err, component: c.name }, `stopping ${c.name} failed`);
        }
      }
      this.#started.length = 0;
    })();
    return this.#stopping;
  }
}
