import type { Logger } from 'pino';
import type { FilterCatalog } from './filter-catalog.js';
import { buildSnapshot } from './build-snapshot.js';
import { ConfigState } from './config-state.js';
import type { Validators } from './decode/validators.js';
import { formatIssue, type ConfigIssue } from './issues.js';
import type { ConfigSnapshot, RouteConfig } from './snapshot.js';
import { SnapshotMemo } from './snapshot-memo.js';
import type { ConfigStore, StoreSnapshot, StoreUpdate, WatchHandle } from './store/types.js';

export interface ConfigManagerOptions {
  readonly store: ConfigStore;
  readonly validators: Validators;
  readonly logger: Logger;
  readonly filters: FilterCatalog;
  /**
   * The snapshot serving now (the one holder of the current configuration keeps it); the next
   * snapshot is built from it, and it stays current when `onSnapshot` throws.
   */
  readonly current: () => ConfigSnapshot | undefined;
  /**
   * Called with every new snapshot, the issues of the values this update rejected, and the keys it
   * changed (undefined after a full reload); it makes the snapshot current. An exception keeps the
   * previous snapshot serving.
   */
  readonly onSnapshot: (snapshot: ConfigSnapshot, rejected: readonly ConfigIssue[], changedKeys: readonly string[] | undefined) => void;
  /** how long a burst of store updates is gathered before one snapshot is built (default 5 ms) */
  readonly coalesceMs?: number;
  /** the clock: a snapshot's appliedAt, and a certificate's validity period when its value arrives */
  readonly now?: () => Date;
}

/**
 * Follows the store: one read of the prefix at revision R, then the watch from R + 1. Updates that
 * arrive within `coalesceMs` of each other become one snapshot; every store revision is applied
 * whole (the store never splits a revision across updates, and neither does this queue).
 */
export class ConfigManager {
  readonly #opts: ConfigManagerOptions;
  readonly #state: ConfigState;
  readonly #activeRoutes = new Map<string, RouteConfig>();
  readonly #memo = new SnapshotMemo();
  #pending: StoreUpdate[] = [];
  #timer: NodeJS.Timeout | undefined;
  #watch: WatchHandle | undefined;
  #closed = false;

  constructor(opts: ConfigManagerOptions) {
    this.#opts = opts;
    this.#state = new ConfigState(opts.store.prefix, opts.validators, opts.now ?? (() => new Date()));
  }

  /**
   * Loads the prefix, applies it, and starts watching. Resolves with the first snapshot once it is
   * applied (undefined if applying it failed: the next change tries again).
   * While the store cannot be read (etcd down at start-up) it retries with a capped backoff,
   * logging once per attempt at most every few seconds; it rejects only if closed meanwhile.
   */
  async start(): Promise<ConfigSnapshot | undefined> {
    let snapshot: StoreSnapshot | undefined;
    for (let attempt = 0; snapshot === undefined; attempt++) {
      try {
        snapshot = await this.#opts.store.load();
      } catch (err) {
        if (this.#closed) throw err;
        const waitMs = Math.min(5000, 100 * 2 ** attempt);
        this.#opts.logger.warn({ err, attempt: attempt + 1, retryInMs: waitMs }, 'cannot read the configuration store yet; retrying');
        await new Promise((r) => setTimeout(r, waitMs));
        if (this.#closed) throw new Error('closed before the first configuration was read');
      }
    }
    const first = this.#apply([{ kind: 'reset', snapshot }]);
    this.#watch = this.#opts.store.watch(snapshot.revision + 1, (u) => this.#enqueue(u));
    return first;
  }

  /**
   * The latest value the watch delivered for one of Junction's own keys (`P/locks/…`,
   * `P/acme-state/…`): read from memory, no store call. A few milliseconds behind the store.
   */
  ownValue(key: string): string | undefined {
    const entry = this.#state.get(key);
    return entry?.ref.kind === 'own' ? entry.raw.value : undefined;
  }

  /** Re-builds the snapshot from the current state (e.g. after a filter module changed); nothing before the first load. */
  rebuild(): void {
    if (!this.#closed && this.#watch !== undefined) this.#apply([]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#watch?.close();
  }

  #enqueue(update: StoreUpdate): void {
    if (this.#closed) return;
    if (update.kind === 'reset') this.#pending = [];
    this.#pending.push(update);
    this.#timer ??= setTimeout(() => this.#flush(), this.#opts.coalesceMs ?? 5);
  }

  #flush(): void {
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) this.#apply(batch);
  }

  /** Builds and applies the next snapshot; returns it once applied, undefined when nothing changed or it failed. */
  #apply(batch: readonly StoreUpdate[]): ConfigSnapshot | undefined {
    const { logger } = this.#opts;
    const current = this.#opts.current();
    const rejected: ConfigIssue[] = [];
    try {
      let changed = batch.length === 0 || current === undefined;
      let keys: string[] | undefined = [];
      for (const update of batch) {
        if (update.kind === 'reset') keys = undefined;
        else keys?.push(...update.events.map((e) => e.key));
        const r = this.#state.apply(update);
        rejected.push(...r.rejected);
        changed ||= r.configChanged;
      }
      if (!changed) return undefined;
      const next = buildSnapshot(this.#state, current, this.#activeRoutes, {
        prefix: this.#opts.store.prefix,
        filters: this.#opts.filters,
        now: this.#opts.now ?? (() => new Date()),
        memo: this.#memo,
      });
      for (const issue of rejected) logger.warn({ key: issue.key, field: issue.field, code: issue.code }, `config rejected: ${formatIssue(issue)}`);
      this.#opts.onSnapshot(next, rejected, keys === undefined ? undefined : [...new Set(keys)]);
      return next;
    } catch (err) {
      logger.error({ err }, 'building the configuration failed; the previous one keeps serving');
      return undefined;
    }
  }
}
