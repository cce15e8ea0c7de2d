/**
 * The configuration store contract shared by the etcd store and the embedded store.
 *
 * Keys are absolute (they include the prefix, e.g. `/junction/routes/api`). Revisions are etcd's:
 * one store-wide counter that grows by one per write transaction; every key carries the revision
 * of its last change (`modRevision`). Both stores honour the same semantics, and one contract
 * suite (test/config/store-contract.test.ts) runs against both.
 */
import type { StoreErrorCode } from '../../errors/catalogue.js';

export interface StoredValue {
  readonly key: string;
  readonly value: string;
  /** revision of the transaction that last wrote this key */
  readonly modRevision: number;
  /** revision of the transaction that created this key (since its last delete) */
  readonly createRevision: number;
  /** number of writes since creation, starting at 1 */
  readonly version: number;
}

export type StoreEvent =
  | {
      readonly type: 'put';
      readonly key: string;
      readonly value: string;
      readonly modRevision: number;
      readonly createRevision: number;
      readonly version: number;
    }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number };

/** Everything under the prefix, read at one revision. */
export interface StoreSnapshot {
  readonly revision: number;
  readonly kvs: readonly StoredValue[];
}

/**
 * What a watch delivers, always in revision order:
 * - `changes`: the events of one or more *whole* revisions (a transaction's writes never arrive
 *   split across two updates); `revision` is the highest revision the update covers.
 * - `reset`: the watch could not continue from where it was (compaction, watcher error, history
 *   gone) and the store re-read the whole prefix: the consumer replaces its state with `snapshot`.
 */
export type StoreUpdate =
  | { readonly kind: 'changes'; readonly revision: number; readonly events: readonly StoreEvent[] }
  | { readonly kind: 'reset'; readonly snapshot: StoreSnapshot };

export interface StoreHealth {
  /** false while the store cannot be reached (always true for the embedded store) */
  readonly connected: boolean;
  /** epoch ms of the last successful exchange with the store (a watch event, a probe, a call) */
  readonly lastContactAt: number;
  /** the last connectivity error, while disconnected */
  readonly error?: string;
  /**
   * the code of `error` (errors/catalogue.ts): `store_unavailable` when etcd cannot be reached,
   * `store_unauthorized` when it refuses the user or password, `store_forbidden` when the user may
   * not read the prefix
   */
  readonly errorCode?: StoreErrorCode;
}

export type TxnOp =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

/** A transaction guard: the key's modRevision must equal `modRevision` (0: the key must not exist). */
export interface TxnCondition {
  readonly key: string;
  readonly modRevision: number;
}

export interface TxnResult {
  /** false when a condition failed; nothing was written then */
  readonly succeeded: boolean;
  /** the store revision after the transaction (or current revision when it failed) */
  readonly revision: number;
}

export interface WatchHandle {
  close(): Promise<void>;
}

/** A key kept alive while its owner lives (an etcd lease; in the embedded store, the process). */
export interface EphemeralKey {
  /** writes the value under the lease (creates the lease on first use, re-creates it if it expired) */
  set(value: string): Promise<void>;
  /** deletes the key and releases the lease */
  close(): Promise<void>;
}

/**
 * One holder's grip on a fleet lock key (`ConfigStore.tryLock`): the key exists, with this holder's
 * value, from `revision` until the lock is lost or released. Only one holder at a time, across every
 * client of the store.
 */
export interface StoreLock {
  readonly key: string;
  /**
   * The revision that created the lock key. A write guarded by `{ key, modRevision: revision }`
   * (a TxnCondition) happens only while this lock still holds: a fencing token.
   */
  readonly revision: number;
  /**
   * Aborted when the lock is lost — its lease expired or could not be kept alive, the key was
   * deleted or written by someone else, the store closed — or released; `signal.reason` is an
   * Error saying which. Work done under the lock stops when it fires.
   */
  readonly signal: AbortSignal;
  /** deletes the key and frees the lock for the next holder (idempotent; bounded in time) */
  release(): Promise<void>;
}

export interface ConfigStore {
  readonly kind: 'etcd' | 'embedded';
  /** the key prefix, without a trailing slash, e.g. `/junction` */
  readonly prefix: string;
  /** reads every key under `prefix + '/'` at one revision */
  load(): Promise<StoreSnapshot>;
  /**
   * Watches `prefix + '/'` from `fromRevision` (inclusive): usually `snapshot.revision + 1`.
   * `onUpdate` is called in revision order and never concurrently; an exception it throws is
   * caught and logged, never crashes the process. On any watch failure the store reloads the prefix
   * and delivers a `reset`, then keeps watching after it.
   */
  watch(fromRevision: number, onUpdate: (update: StoreUpdate) => void): WatchHandle;
  health(): StoreHealth;
  get(key: string): Promise<StoredValue | undefined>;
  /** all-or-nothing writes at one revision, guarded by conditions */
  txn(ops: readonly TxnOp[], conditions?: readonly TxnCondition[]): Promise<TxnResult>;
  put(key: string, value: string): Promise<number>;
  /** returns the revision after the delete (the current one when the key did not exist) */
  delete(key: string): Promise<number>;
  ephemeral(key: string, ttlSeconds: number): EphemeralKey;
  /**
   * One attempt at a lock: creates `key` with `value` only if it does not exist (in one
   * transaction: no two holders ever), kept alive while the holder lives — on etcd under a lease
   * of `ttlSeconds` kept alive, so a holder that dies or is cut off loses it within the TTL; in the
   * embedded store (one process owns it) for as long as the store is open. Resolves `undefined`
   * when someone holds it. See docs/tls.md ("the lock").
   */
  tryLock(key: string, value: string, ttlSeconds: number): Promise<StoreLock | undefined>;
  close(): Promise<void>;
}
