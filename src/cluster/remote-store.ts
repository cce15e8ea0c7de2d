import type {
  ConfigStore,
  EphemeralKey,
  StoreHealth,
  StoreLock,
  StoreSnapshot,
  StoredValue,
  StoreUpdate,
  TxnCondition,
  TxnOp,
  TxnResult,
  WatchHandle,
} from '../config/store/types.js';
import { StoreClosedError } from '../config/store/errors.js';
import { assertKey, assertTtl } from '../config/store/keys.js';
import type { IpcChannel } from './ipc-channel.js';
import { StoreOp, StoreTopic, type LockLostMessage, type StoreHello, type StoreUpdateMessage } from './store-protocol.js';
import { storeErrorFromIpc } from './store-errors.js';

/**
 * A worker's view of the primary's store (etcd or embedded) over IPC. The primary owns the one
 * store client; every worker loads and watches through it, so all workers see the same revisions
 * in the same order, and the embedded store keeps its single owner.
 */
export class RemoteStore implements ConfigStore {
  readonly kind: 'etcd' | 'embedded';
  readonly prefix: string;
  readonly #channel: IpcChannel;
  readonly #watches = new Map<number, (update: StoreUpdate) => void>();
  /** the locks this worker holds through the primary: lockId -> abort with a reason */
  readonly #locks = new Map<number, (reason: string) => void>();
  #nextLock = 1;
  #health: StoreHealth;
  #nextWatch = 1;
  #closed = false;

  private constructor(channel: IpcChannel, hello: StoreHello) {
    this.#channel = channel;
    this.kind = hello.kind;
    this.prefix = hello.prefix;
    this.#health = hello.health;
    channel.on(StoreTopic.health, (h) => {
      this.#health = h as StoreHealth;
    });
    channel.on(StoreTopic.lockLost, (data) => {
      const m = data as LockLostMessage;
      this.#locks.get(m.lockId)?.(m.reason);
    });
    channel.on(StoreTopic.update, (data) => {
      const m = data as StoreUpdateMessage;
      this.#watches.get(m.watchId)?.(m.update);
    });
  }

  static async connect(channel: IpcChannel): Promise<RemoteStore> {
    const hello = await channel.call<StoreHello>(StoreOp.hello, null).catch((err: unknown) => {
      throw storeErrorFromIpc(err);
    });
    return new RemoteStore(channel, hello);
  }

  async #call<T>(op: string, args: unknown, timeoutMs?: number): Promise<T> {
    if (this.#closed) throw new StoreClosedError();
    try {
      return await this.#channel.call<T>(op, args, timeoutMs);
    } catch (err) {
      throw storeErrorFromIpc(err);
    }
  }

  load(): Promise<StoreSnapshot> {
    // a large prefix takes a while to read and to cross the pipe
    return this.#call<StoreSnapshot>(StoreOp.load, null, 60_000);
  }

  watch(fromRevision: number, onUpdate: (update: StoreUpdate) => void): WatchHandle {
    const watchId = this.#nextWatch++;
    this.#watches.set(watchId, (update) => {
      try {
        onUpdate(update);
      } catch {
        // the contract: a throwing consumer never breaks the watch (ConfigManager catches its own)
      }
    });
    void this.#call(StoreOp.watch, { watchId, fromRevision }).catch(() => undefined);
    return {
      close: async () => {
        this.#watches.delete(watchId);
        await this.#call(StoreOp.unwatch, { watchId }).catch(() => undefined);
      },
    };
  }

  health(): StoreHealth {
    return this.#health;
  }

  async get(key: string): Promise<StoredValue | undefined> {
    return (await this.#call<StoredValue | null>(StoreOp.get, { key })) ?? undefined;
  }

  txn(ops: readonly TxnOp[], conditions: readonly TxnCondition[] = []): Promise<TxnResult> {
    return this.#call<TxnResult>(StoreOp.txn, { ops, conditions });
  }

  put(key: string, value: string): Promise<number> {
    return this.#call<number>(StoreOp.put, { key, value });
  }

  delete(key: string): Promise<number> {
    return this.#call<number>(StoreOp.delete, { key });
  }

  ephemeral(key: string, ttlSeconds: number): EphemeralKey {
    // synchronous checks, as the stores do them
    assertKey(this.prefix, key);
    assertTtl(ttlSeconds);
    let released = false;
    return {
      set: async (value: string) => {
        if (released) throw new StoreClosedError(`ephemeral key ${key} was closed`);
        await this.#call<void>(StoreOp.ephemeralSet, { key, ttlSeconds, value });
      },
      close: async () => {
        released = true;
        await this.#call<void>(StoreOp.ephemeralClose, { key });
      },
    };
  }

  async tryLock(key: string, value: string, ttlSeconds: number): Promise<StoreLock | undefined> {
    assertKey(this.prefix, key);
    assertTtl(ttlSeconds);
    const lockId = this.#nextLock++;
    const got = await this.#call<{ revision: number } | null>(StoreOp.lockTry, { lockId, key, value, ttlSeconds });
    if (got === null) return undefined;
    const ctrl = new AbortController();
    this.#locks.set(lockId, (reason) => {
      this.#locks.delete(lockId);
      ctrl.abort(new Error(reason));
    });
    return {
      key,
      revision: got.revision,
      signal: ctrl.signal,
      release: async () => {
        if (ctrl.signal.aborted) return;
        this.#locks.delete(lockId);
        ctrl.abort(new Error('released'));
        await this.#call(StoreOp.lockRelease, { lockId }, 5000).catch(() => undefined);
      },
    };
  }

  /** detaches from the primary's store; the store itself stays open (the primary closes it) */
  async close(): Promise<void> {
    if (this.#closed) return;
    const ids = [...this.#watches.keys()];
    this.#watches.clear();
    for (const lose of [...this.#locks.values()]) lose('the store connection closed');
    await Promise.all(ids.map((watchId) => this.#call(StoreOp.unwatch, { watchId }, 2000).catch(() => undefined)));
    this.#closed = true;
  }
}
