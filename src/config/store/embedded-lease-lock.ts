import type { StoreEvent, StoreLock } from './types.js';

/**
 * The embedded store's fleet locks. One process owns the store, so a lock is granted to the first
 * holder in this process that asks, and kept for as long as the store is open: the key is an
 * ephemeral key (visible to load, get and watch, never written to the file). It is lost when
 * another write deletes or replaces the key, or when the store closes.
 */
export class EmbeddedLocks {
  readonly #held = new Map<string, EmbeddedLock>();

  /** a lock taken at `revision` under `owner` (the store wrote the key) */
  add(key: string, revision: number, release: () => Promise<void>): StoreLock {
    const lock = new EmbeddedLock(key, revision, async () => {
      if (this.#held.get(key) === lock) this.#held.delete(key);
      await release();
    });
    this.#held.set(key, lock);
    return lock;
  }

  /** after a write: a held lock whose key another write touched is lost */
  written(revision: number, events: readonly StoreEvent[]): void {
    for (const ev of events) {
      const lock = this.#held.get(ev.key);
      if (lock === undefined || lock.revision === revision) continue;
      this.#held.delete(ev.key);
      lock.lose(ev.type === 'delete' ? 'its key was deleted' : 'its key was written by someone else');
    }
  }

  /** the store closes: every lock is lost */
  closeAll(): void {
    for (const lock of this.#held.values()) lock.lose('the store closed');
    this.#held.clear();
  }
}

class EmbeddedLock implements StoreLock {
  readonly #ctrl = new AbortController();
  readonly signal: AbortSignal = this.#ctrl.signal;

  constructor(
    readonly key: string,
    readonly revision: number,
    private readonly free: () => Promise<void>,
  ) {}

  async release(): Promise<void> {
    if (this.signal.aborted) return;
    this.#ctrl.abort(new Error('released'));
    await this.free();
  }

  lose(reason: string): void {
    if (!this.signal.aborted) this.#ctrl.abort(new Error(`the lock ${this.key} was lost: ${reason}`));
  }
}
