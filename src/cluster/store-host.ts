import type { ConfigStore, EphemeralKey, StoreLock, TxnCondition, TxnOp, WatchHandle } from '../config/store/types.js';
import type { IpcChannel } from './ipc-channel.js';
import { StoreOp, StoreTopic, type StoreHello } from './store-protocol.js';

/**
 * The primary's side of one worker's {@link RemoteStore}: runs its calls on the real store,
 * forwards its watches, and holds its ephemeral keys. `dispose()` (the worker exited) closes the
 * worker's watches and releases its ephemeral keys and locks, as a dead process's lease would expire.
 */
export class StoreHost {
  readonly #store: ConfigStore;
  readonly #channel: IpcChannel;
  readonly #watches = new Map<number, WatchHandle>();
  readonly #ephemeral = new Map<string, EphemeralKey>();
  readonly #locks = new Map<number, StoreLock>();
  #disposed = false;

  constructor(store: ConfigStore, channel: IpcChannel) {
    this.#store = store;
    this.#channel = channel;
    channel
      .handle(StoreOp.hello, (): StoreHello => ({ kind: store.kind, prefix: store.prefix, health: store.health() }))
      .handle(StoreOp.load, () => store.load())
      .handle(StoreOp.watch, (a) => this.#watch(a as { watchId: number; fromRevision: number }))
      .handle(StoreOp.unwatch, (a) => this.#unwatch((a as { watchId: number }).watchId))
      .handle(StoreOp.get, async (a) => (await store.get((a as { key: string }).key)) ?? null)
      .handle(StoreOp.txn, (a) => {
        const { ops, conditions } = a as { ops: TxnOp[]; conditions: TxnCondition[] };
        return store.txn(ops, conditions);
      })
      .handle(StoreOp.put, (a) => store.put((a as { key: string }).key, (a as { value: string }).value))
      .handle(StoreOp.delete, (a) => store.delete((a as { key: string }).key))
      .handle(StoreOp.ephemeralSet, (a) => this.#ephemeralSet(a as { key: string; ttlSeconds: number; value: string }))
      .handle(StoreOp.ephemeralClose, (a) => this.#ephemeralClose((a as { key: string }).key))
      .handle(StoreOp.lockTry, (a) => this.#lockTry(a as { lockId: number; key: string; value: string; ttlSeconds: number }))
      .handle(StoreOp.lockRelease, (a) => this.#lockRelease((a as { lockId: number }).lockId));
  }

  /** pushes the store's health (the worker's `health()` is synchronous, so it reads this copy) */
  pushHealth(): void {
    if (!this.#disposed) this.#channel.emit(StoreTopic.health, this.#store.health());
  }

  #watch(a: { watchId: number; fromRevision: number }): null {
    if (this.#disposed || this.#watches.has(a.watchId)) return null;
    const handle = this.#store.watch(a.fromRevision, (update) => {
      this.#channel.emit(StoreTopic.update, { watchId: a.watchId, update });
    });
    this.#watches.set(a.watchId, handle);
    return null;
  }

  async #unwatch(watchId: number): Promise<null> {
    const handle = this.#watches.get(watchId);
    this.#watches.delete(watchId);
    await handle?.close();
    return null;
  }

  async #ephemeralSet(a: { key: string; ttlSeconds: number; value: string }): Promise<null> {
    if (this.#disposed) return null;
    let key = this.#ephemeral.get(a.key);
    if (!key) {
      key = this.#store.ephemeral(a.key, a.ttlSeconds);
      this.#ephemeral.set(a.key, key);
    }
    await key.set(a.value);
    return null;
  }

  async #ephemeralClose(key: string): Promise<null> {
    const k = this.#ephemeral.get(key);
    this.#ephemeral.delete(key);
    await k?.close();
    return null;
  }

  async #lockTry(a: { lockId: number; key: string; value: string; ttlSeconds: number }): Promise<{ revision: number } | null> {
    if (this.#disposed) return null;
    const lock = await this.#store.tryLock(a.key, a.value, a.ttlSeconds);
    if (lock === undefined) return null;
    if (this.#disposed) {
      await lock.release();
      return null;
    }
    this.#locks.set(a.lockId, lock);
    lock.signal.addEventListener('abort', () => {
      if (this.#locks.get(a.lockId) !== lock) return; // released by the worker
      this.#locks.delete(a.lockId);
      const reason = lock.signal.reason instanceof Error ? lock.signal.reason.message : String(lock.signal.reason);
      if (!this.#disposed) this.#channel.emit(StoreTopic.lockLost, { lockId: a.lockId, reason });
    });
    return { revision: lock.revision };
  }

  async #lockRelease(lockId: number): Promise<null> {
    const lock = this.#locks.get(lockId);
    this.#locks.delete(lockId);
    await lock?.release();
    return null;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    const watches = [...this.#watches.values()];
    const keys = [...this.#ephemeral.values()];
    const locks = [...this.#locks.values()];
    this.#watches.clear();
    this.#ephemeral.clear();
    this.#locks.clear();
    await Promise.allSettled([...watches.map((w) => w.close()), ...keys.map((k) => k.close()), ...locks.map((l) => l.release())]);
  }
}
