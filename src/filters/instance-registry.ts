import type { Logger } from 'pino';
import type { FilterConfig } from '../config/snapshot.js';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
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
 * change keeps it (so a rate limiter's buckets are not reset by an unrelated route edit). When the
 * last lease on an instance is released (it was replaced, or its last route went), it is closed a
 * little later, once requests still running on the old graph had time to finish with it.
 */
export class FilterInstances {
  readonly #live = new LeaseTable<LiveFilter>((live) => this.#closeLater(live));

  constructor(
    private readonly logger: Logger,
    private readonly closeDelayMs = 2000,
  ) {}

  /** A lease on the instance for this filter and module version; creates it (create() may throw: nothing is held then). */
  acquire(filter: FilterConfig, mod: LoadedModule): Lease<LiveFilter> {
    const key = `${filter.id}\u0000${filter.modRevision}\u0000${mod.file}\u0000${mod.version}`;
    return this.#live.acquire(key, () => {
      const logger = this.logger.child({ filter: filter.id, filterType: mod.type });
      const instance = mod.module.create(filter.spec.config ?? {}, { id: filter.id, logger, now: Date.now });
      if (instance === null || typeof instance !== 'object') {
        throw new TypeError(`create() of filter type ${mod.type} returned ${instance === null ? 'null' : typeof instance}, not an object`);
      }
      return { id: filter.id, type: mod.type, instance };
    });
  }

  /** Closes every instance now (shutdown); leases still held release nothing. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#live.clear().map((l) => this.#close(l)));
  }

  #closeLater(live: LiveFilter): void {
    const t = setTimeout(() => void this.#close(live), this.closeDelayMs);
    t.unref();
  }

  async #close(live: LiveFilter): Promise<void> {
    try {
      await live.instance.close?.();
    } catch (err) {
      this.logger.warn({ err, filter: live.id }, 'filter close() failed');
    }
  }
}
