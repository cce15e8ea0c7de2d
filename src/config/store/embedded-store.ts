import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { readStoreFile, encodeStoreFile, writeFileDurably, STORE_FILE, TEMP_FILE, type StoreFileContent } from './embedded-file.js';
import { acquireLock, LOCK_FILE, type HeldLock } from './embedded-lock.js';
import { EmbeddedLocks } from './embedded-lease-lock.js';
import { KvState, type StagedOp } from './embedded-state.js';
import { WatchHub } from './embedded-watch.js';
import { InvalidRequestError, StoreClosedError, StoreIoError } from './errors.js';
import { assertKey, assertTtl, assertTxn, normalizePrefix } from './keys.js';
import type {
  ConfigStore,
  EphemeralKey,
  StoreLock,
  StoredValue,
  StoreHealth,
  StoreSnapshot,
  StoreUpdate,
  TxnCondition,
  TxnOp,
  TxnResult,
  WatchHandle,
} from './types.js';

export interface EmbeddedStoreOptions {
  /** directory of `store.json` and `store.lock`; created when missing */
  readonly dataDir: string;
  readonly prefix: string;
  readonly logger?: Logger;
  /** how many recent revisions `watch(fromRevision)` can replay (default 1000) */
  readonly historyLimit?: number;
}

const DEFAULT_HISTORY_LIMIT = 1000;

/**
 * The configuration store without etcd: same keys, revisions and watch semantics, kept in one
 * JSON file under `dataDir` (see docs/stores.md).
 *
 * - Revisions follow etcd: the store starts at revision 1, each transaction that changes something
 *   adds one, a delete of a missing key or a failed condition does not.
 * - Writes are serialized, and each resolves only once the file is durably replaced; readers and
 *   watchers see a write only after that.
 * - The last `historyLimit` revisions are kept in memory for `watch(fromRevision)`; an older start
 *   (or one before `compact()`) gets a `reset`. History does not survive a restart.
 * - Ephemeral keys live in memory only: they take revisions and are visible to load, get and watch
 *   while held, and never reach the file, so they never survive a restart.
 * - `store.lock` keeps a second process (or a second open in this one) out.
 *
 * Create with `EmbeddedStore.open()`.
 */
export class EmbeddedStore implements ConfigStore {
  readonly kind = 'embedded' as const;
  readonly prefix: string;
  readonly dataDir: string;

  private readonly state: KvState;
  private readonly hub: WatchHub;
  private readonly locks = new EmbeddedLocks();
  private writeChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private nextOwner = 1;

  private constructor(
    prefix: string,
    dataDir: string,
    private readonly lock: HeldLock,
    content: StoreFileContent | undefined,
    historyLimit: number,
    private readonly log: Logger | undefined,
  ) {
    this.prefix = prefix;
    this.dataDir = dataDir;
    this.state = new KvState(content?.revision ?? 1, content?.kvs ?? []);
    this.hub = new WatchHub(this.state.revision, historyLimit, log);
  }

  static async open(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    const prefix = normalizePrefix(opts.prefix);
    const historyLimit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 0) {
      throw new InvalidRequestError(`historyLimit must be an integer >= 0, got ${historyLimit}`);
    }
    const log = opts.logger?.child({ component: 'embedded-store' });
    const dataDir = resolve(opts.dataDir);
    try {
      await mkdir(dataDir, { recursive: true });
    } catch (err) {
      throw new StoreIoError(`cannot create data directory ${dataDir}: ${(err as Error).message}`, { cause: err });
    }
    const lock = await acquireLock(join(dataDir, LOCK_FILE));
    try {
      const temp = join(dataDir, TEMP_FILE);
      if (await exists(temp)) {
        // a write that crashed before its rename: it was never acknowledged, the main file is intact
        log?.warn({ path: temp }, 'removing the temp file of an interrupted write');
        await rm(temp, { force: true });
      }
      const content = await readStoreFile(join(dataDir, STORE_FILE));
      const store = new EmbeddedStore(prefix, dataDir, lock, content, historyLimit, log);
      log?.info({ dataDir, revision: store.state.revision, keys: store.state.size }, 'embedded store opened');
      return store;
    } catch (err) {
      await lock.release().catch(() => undefined);
      throw err;
    }
  }

  async load(): Promise<StoreSnapshot> {
    this.assertOpen();
    return this.state.snapshot(this.prefix);
  }

  watch(fromRevision: number, onUpdate: (update: StoreUpdate) => void): WatchHandle {
    this.assertOpen();
    if (!Number.isSafeInteger(fromRevision)) throw new InvalidRequestError(`watch revision must be an integer, got ${fromRevision}`);
    return this.hub.watch(fromRevision, this.state.revision, () => this.state.snapshot(this.prefix), onUpdate);
  }

  health(): StoreHealth {
    return { connected: true, lastContactAt: Date.now() };
  }

  async get(key: string): Promise<StoredValue | undefined> {
    assertKey(this.prefix, key);
    this.assertOpen();
    return this.state.get(key);
  }

  async txn(ops: readonly TxnOp[], conditions: readonly TxnCondition[] = []): Promise<TxnResult> {
    assertTxn(this.prefix, ops, conditions);
    this.assertOpen();
    return this.write(
      ops.map((op) => (op.op === 'put' ? { key: op.key, value: op.value } : { key: op.key })),
      conditions,
    );
  }

  async put(key: string, value: string): Promise<number> {
    return (await this.txn([{ op: 'put', key, value }])).revision;
  }

  async delete(key: string): Promise<number> {
    return (await this.txn([{ op: 'delete', key }])).revision;
  }

  ephemeral(key: string, ttlSeconds: number): EphemeralKey {
    assertKey(this.prefix, key);
    assertTtl(ttlSeconds);
    this.assertOpen();
    const owner = this.nextOwner++;
    let released = false;
    return {
      set: async (value: string) => {
        if (released) throw new StoreClosedError(`ephemeral key ${key} was closed`);
        if (typeof value !== 'string') throw new InvalidRequestError(`ephemeral value of ${key} must be a string`);
        this.assertOpen();
        await this.write([{ key, value, owner }], []);
      },
      close: async () => {
        if (released) return;
        released = true;
        if (this.closed) return; // the store's close dropped it already
        await this.write([{ key, ifOwner: owner }], []);
      },
    };
  }

  async tryLock(key: string, value: string, ttlSeconds: number): Promise<StoreLock | undefined> {
    assertKey(this.prefix, key);
    assertTtl(ttlSeconds);
    this.assertOpen();
    const owner = this.nextOwner++;
    const res = await this.write([{ key, value, owner }], [{ key, modRevision: 0 }]);
    if (!res.succeeded) return undefined;
    return this.locks.add(key, res.revision, async () => {
      if (!this.closed) await this.write([{ key, ifOwner: owner }], []);
    });
  }

  /**
   * Forgets history before `revision`: a watch from an earlier revision then gets a `reset`
   * (as etcd's compaction does). Data is unaffected.
   */
  async compact(revision: number): Promise<void> {
    this.assertOpen();
    if (!Number.isSafeInteger(revision) || revision > this.state.revision) {
      throw new InvalidRequestError(`cannot compact at revision ${revision}: the current revision is ${this.state.revision}`);
    }
    this.hub.compact(revision);
  }

  /** Waits for pending writes, stops every watch, drops ephemeral keys and releases the lock. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    await this.writeChain;
    this.locks.closeAll();
    await this.hub.closeAll();
    this.state.dropEphemeral();
    await this.lock.release();
    this.log?.info({ revision: this.state.revision }, 'embedded store closed');
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Runs writes one after the other; a failed write does not block the next. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeChain.then(fn);
    this.writeChain = run.catch(() => undefined);
    return run;
  }

  /** Plans the transaction, makes its result durable, and only then applies and publishes it. */
  private write(ops: readonly StagedOp[], conditions: readonly TxnCondition[]): Promise<TxnResult> {
    return this.serial(async () => {
      const plan = this.state.plan(ops, conditions);
      if (plan === false) return { succeeded: false, revision: this.state.revision };
      if (plan.events.length === 0) return { succeeded: true, revision: this.state.revision };
      const data = encodeStoreFile({ revision: plan.revision, kvs: this.state.persistentAfter(plan) });
      await writeFileDurably(this.dataDir, join(this.dataDir, STORE_FILE), join(this.dataDir, TEMP_FILE), data);
      this.state.apply(plan);
      this.hub.publish({ revision: plan.revision, events: plan.events });
      this.locks.written(plan.revision, plan.events);
      return { succeeded: true, revision: plan.revision };
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
