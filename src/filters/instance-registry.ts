import type { Logger } from 'pino';
import type { FilterConfig } from '../config/snapshot.js';
import type { LoadedModule } from './load-module.js';
import type { FilterInstance } from './types.js';

export interface LiveFilter {
  readonly id: string;
  readonly type: string;
  readonly instance: FilterInstance;
}

/**
 * Filter instances outlive configuration swaps: one per (filter id, its document's revision, module
 * version). A change to the filter's key or to its module's file makes a new instance; any other
 * change keeps it (so a rate limiter's buckets are not reset by an unrelated route edit). Replaced
 * instances are closed a little after the swap, once requests still running on the old graph had
 * time to finish with them.
 */
export class FilterInstances {
  readonly #live = new Map<string, LiveFilter>();

  constructor(
    private readonly logger: Logger,
    private readonly closeDelayMs = 2000,
  ) {}

  static key(filter: FilterConfig, mod: LoadedModule): string {
    return `${filter.id}\u0000${filter.modRevision}\u0000${mod.file}\u0000${mod.version}`;
  }

  /** The instance for this filter and module version; creates it (create() may throw). */
  acquire(filter: FilterConfig, mod: LoadedModule): LiveFilter {
    const key = FilterInstances.key(filter, mod);
    let live = this.#live.get(key);
    if (live === undefined) {
      const logger = this.logger.child({ filter: filter.id, filterType: mod.type });
      const instance = mod.module.create(filter.spec.config ?? {}, { id: filter.id, logger, now: Date.now });
      if (instance === null || typeof instance !== 'object') {
        throw new TypeError(`create() of filter type ${mod.type} returned ${instance === null ? 'null' : typeof instance}, not an object`);
      }
      live = { id: filter.id, type: mod.type, instance };
      this.#live.set(key, live);
    }
    return live;
  }

  /** Closes (after the delay) every instance whose key is not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const [key, live] of this.#live) {
      if (keys.has(key)) continue;
      this.#live.delete(key);
      const t = setTimeout(() => this.#close(live), this.closeDelayMs);
      t.unref();
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.#live.values()];
    this.#live.clear();
    await Promise.all(all.map((l) => this.#close(l)));
  }

  async #close(live: LiveFilter): Promise<void> {
    try {
      await live.instance.close?.();
    } catch (err) {
      this.logger.warn({ err, filter: live.id }, 'filter close() failed');
    }
  }
}
