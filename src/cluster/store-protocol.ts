import type { StoreHealth, StoreUpdate } from '../config/store/types.js';

/** The calls a worker makes on the primary's store (see RemoteStore and StoreHost). */
export const StoreOp = {
  hello: 'store.hello',
  load: 'store.load',
  watch: 'store.watch',
  unwatch: 'store.unwatch',
  get: 'store.get',
  txn: 'store.txn',
  put: 'store.put',
  delete: 'store.delete',
  ephemeralSet: 'store.ephemeral.set',
  ephemeralClose: 'store.ephemeral.close',
  lockTry: 'store.lock.try',
  lockRelease: 'store.lock.release',
} as const;

/** What the primary pushes to a worker. */
export const StoreTopic = {
  update: 'store.update',
  health: 'store.health',
  /** a worker's lock was lost (`{ lockId, reason }`) */
  lockLost: 'store.lock.lost',
} as const;

export interface StoreHello {
  readonly kind: 'etcd' | 'embedded';
  readonly prefix: string;
  readonly health: StoreHealth;
}

export interface StoreUpdateMessage {
  readonly watchId: number;
  readonly update: StoreUpdate;
}

export interface LockLostMessage {
  readonly lockId: number;
  readonly reason: string;
}
