import { CompareResult, CompareTarget, Etcd3, type IOptions, type IRequestOp, type ICompare } from 'etcd3';
import type { Logger } from 'pino';
import { backoffMs, errorMessage, settleWithin } from './async-utils.js';
import { ConnectionHealth } from './connection-health.js';
import { num, toStoredValue } from './etcd-convert.js';
import { EtcdEphemeralKey } from './etcd-ephemeral.js';
import { etcd3Security, etcdEndpoints, type EtcdAuthOptions, type EtcdTlsOptions } from './etcd-access.js';
import { tryEtcdLock, type EtcdLeaseLock } from './etcd-lease-lock.js';
import { hostBreaker, retryUnavailable } from './etcd-policies.js';
import { authFailure, isConnectivityError, toStoreError } from './etcd-errors.js';
import { EtcdWatchSession } from './etcd-watch.js';
import { InvalidRequestError, StoreClosedError, type StoreError } from './errors.js';
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

export interface EtcdStoreOptions {
  /** every member of the cluster, e.g. `http://10.0.0.1:2379`; a missing scheme means http (https with `tls`) */
  readonly endpoints: readonly string[];
  /** TLS to etcd: the CA to trust and a client certificate; needs https:// endpoints */
  readonly tls?: EtcdTlsOptions;
  /** an etcd user and its password, for a cluster with authentication enabled */
  readonly auth?: EtcdAuthOptions;
  readonly prefix: string;
  readonly logger?: Logger;
  /** deadline of each unary call (not of watch or keep-alive streams); default 5000 ms */
  readonly callTimeoutMs?: number;
  /** period of the connectivity probe; default 1000 ms (backing off to 15 s while etcd refuses the credentials) */
  readonly probeIntervalMs?: number;
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/**
 * The configuration store on etcd (v3 API through etcd3).
 *
 * - `load()` is one range request over `prefix + '/'`: every key at one revision.
 * - `watch()` delivers whole watch responses (whole revisions), resumes after an outage from the
 *   last delivered event, and on any watcher failure (compaction) reloads and delivers a `reset`.
 * - Unary calls carry a deadline (`callTimeoutMs`); streams do not.
 * - `health()` comes from a cheap linearizable probe every `probeIntervalMs` (and at once when a
 *   watch stream drops), plus every successful exchange. The probe reads inside the prefix, so it
 *   also says when etcd refuses the user (`store_unauthorized`) or its permission on the prefix
 *   (`store_forbidden`).
 * - With `auth`, etcd3 fetches a token and, for unary calls, fetches a new one when etcd says the
 *   token is invalid (etcd restarted, or the token's TTL ran out). It does not for watches: the
 *   watch session does (etcd-watch.ts).
 *
 * Create with `EtcdStore.open()`, which does not require etcd to be reachable: it probes once so
 * that `health()` is meaningful, and returns either way.
 */
export class EtcdStore implements ConfigStore {
  readonly kind = 'etcd' as const;
  readonly prefix: string;
  readonly endpoints: readonly string[];

  private readonly client: Etcd3;
  private readonly conn: ConnectionHealth;
  private readonly log: Logger | undefined;
  private readonly callTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly user: string | undefined;
  /** probes in a row that etcd answered by refusing the credentials (they back off) */
  private refusedProbes = 0;
  private readonly watches = new Set<EtcdWatchSession>();
  private readonly ephemerals = new Set<EtcdEphemeralKey>();
  private readonly locks = new Set<EtcdLeaseLock>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(opts: EtcdStoreOptions) {
    this.prefix = normalizePrefix(opts.prefix);
    if (opts.endpoints.length === 0) throw new InvalidRequestError('the etcd store needs at least one endpoint');
    this.endpoints = etcdEndpoints(opts.endpoints, opts.tls);
    this.user = opts.auth?.username;
    this.callTimeoutMs = opts.callTimeoutMs ?? 5000;
    this.probeIntervalMs = opts.probeIntervalMs ?? 1000;
    this.log = opts.logger?.child({ component: 'etcd-store' });
    this.conn = new ConnectionHealth(this.log, `etcd (${this.endpoints.join(',')})`);
    const callTimeoutMs = this.callTimeoutMs;
    this.client = new Etcd3({
      hosts: [...this.endpoints],
      ...etcd3Security(opts.tls, opts.auth),
      dialTimeout: callTimeoutMs,
      grpcOptions: {
        'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
        // detect a dead peer on an idle watch stream; etcd accepts pings every >= 5 s
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
      faultHandling: {
        // etcd3's default watch reconnect backoff grows to 30 s; keep it short so a watch resumes soon
        watchBackoff: watchBackoff(0),
        host: (host) => hostBreaker(host),
        global: retryUnavailable(this.endpoints.length + 1),
      },
    });
  }

  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts);
    await store.probe();
    store.scheduleProbe();
    return store;
  }

  async load(): Promise<StoreSnapshot> {
    const res = await this.call('load', () => this.client.getAll().prefix(this.prefix + '/').exec());
    return { revision: num(res.header.revision), kvs: res.kvs.map(toStoredValue) };
  }

  watch(fromRevision: number, onUpdate: (update: StoreUpdate) => void): WatchHandle {
    this.assertOpen();
    if (!Number.isSafeInteger(fromRevision)) throw new InvalidRequestError(`watch revision must be an integer, got ${fromRevision}`);
    const session = new EtcdWatchSession(
      {
        client: this.client,
        prefix: this.prefix,
        log: this.log,
        onContact: () => this.conn.up(),
        onDisconnect: () => void this.probe(),
        checkAccess: () => this.checkAccess(),
        load: () => this.load(),
        onClose: (s) => this.watches.delete(s),
        closeTimeoutMs: this.callTimeoutMs,
      },
      fromRevision,
      onUpdate,
    );
    this.watches.add(session);
    return session;
  }

  health(): StoreHealth {
    return this.conn.snapshot();
  }

  async get(key: string): Promise<StoredValue | undefined> {
    assertKey(this.prefix, key);
    const res = await this.call(`get of ${key}`, () => this.client.get(key).exec());
    const kv = res.kvs[0];
    return kv === undefined ? undefined : toStoredValue(kv);
  }

  async put(key: string, value: string): Promise<number> {
    assertKey(this.prefix, key);
    const res = await this.call(`put of ${key}`, () => this.client.put(key).value(value).exec());
    return num(res.header.revision);
  }

  async delete(key: string): Promise<number> {
    assertKey(this.prefix, key);
    const res = await this.call(`delete of ${key}`, () => this.client.delete().key(key).exec());
    return num(res.header.revision);
  }

  async txn(ops: readonly TxnOp[], conditions: readonly TxnCondition[] = []): Promise<TxnResult> {
    assertTxn(this.prefix, ops, conditions);
    const compare: ICompare[] = conditions.map((c) =>
      c.modRevision === 0
        ? { key: Buffer.from(c.key), target: CompareTarget.Version, result: CompareResult.Equal, version: 0 }
        : { key: Buffer.from(c.key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: c.modRevision },
    );
    const success: IRequestOp[] = ops.map((op) =>
      op.op === 'put'
        ? { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value) } }
        : { request_delete_range: { key: Buffer.from(op.key) } },
    );
    const res = await this.call('txn', () => this.client.kv.txn({ compare, success, failure: [] }));
    return { succeeded: res.succeeded, revision: num(res.header.revision) };
  }

  ephemeral(key: string, ttlSeconds: number): EphemeralKey {
    assertKey(this.prefix, key);
    assertTtl(ttlSeconds);
    this.assertOpen();
    const eph = new EtcdEphemeralKey(
      {
        client: this.client,
        log: this.log,
        closeTimeoutMs: this.callTimeoutMs,
        onContact: () => this.conn.up(),
        onConnectivityError: () => void this.probe(),
        onClose: (k) => this.ephemerals.delete(k),
      },
      key,
      Math.ceil(ttlSeconds),
    );
    this.ephemerals.add(eph);
    return eph;
  }

  async tryLock(key: string, value: string, ttlSeconds: number): Promise<StoreLock | undefined> {
    assertKey(this.prefix, key);
    assertTtl(ttlSeconds);
    this.assertOpen();
    const deps = { client: this.client, log: this.log, callTimeoutMs: this.callTimeoutMs, onClose: (l: EtcdLeaseLock) => this.locks.delete(l) };
    const lock = await this.call(`lock ${key}`, () => tryEtcdLock(deps, key, value, Math.ceil(ttlSeconds)));
    if (lock !== undefined && this.closed) await lock.release();
    else if (lock !== undefined) this.locks.add(lock);
    return this.closed ? undefined : lock;
  }

  /**
   * Compacts etcd's history up to `revision` (physically, before returning). Affects every client
   * of the cluster: watches from an older revision get a `reset`. Meant for tests and maintenance.
   */
  async compact(revision: number): Promise<void> {
    await this.call('compact', () => this.client.kv.compact({ revision, physical: true }));
  }

  /** Stops watches, revokes ephemeral keys' leases, stops the probe and closes the client; bounded in time. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    await Promise.all([
      ...[...this.watches].map((w) => w.close()),
      ...[...this.ephemerals].map((e) => e.close().catch(() => undefined)),
      ...[...this.locks].map((l) => l.release()),
    ]);
    await settleWithin(this.probing ?? Promise.resolve(), this.callTimeoutMs);
    this.client.close();
    this.log?.info('etcd store closed');
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  /** Runs one etcd call: typed errors, health bookkeeping. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      const res = await fn();
      this.conn.up();
      return res;
    } catch (err) {
      // a refused write (store_forbidden) says nothing about reading the prefix: the probe decides
      if ((isConnectivityError(err) || authFailure(err) === 'unauthorized') && !this.closed) void this.probe();
      throw toStoreError(err, what, this.user);
    }
  }

  /**
   * One linearizable count-only range of the key `P/` (inside the prefix, so that a role limited
   * to the prefix may read it): needs a quorum, returns nothing. With auth, a stale token is
   * replaced on the way (etcd3 does that for unary calls).
   */
  private probe(): Promise<void> {
    this.probing ??= this.runProbe().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  private async runProbe(): Promise<void> {
    await this.checkAccess().catch(() => undefined);
  }

  /** The probe's read; reports the outcome to `health()`, and throws the typed error on failure. */
  private async checkAccess(): Promise<void> {
    if (this.closed) throw new StoreClosedError();
    const deadline = Date.now() + Math.min(this.callTimeoutMs, Math.max(500, this.probeIntervalMs));
    try {
      await this.client.kv.range({ key: Buffer.from(this.prefix + '/'), count_only: true }, { deadline });
      this.refusedProbes = 0;
      if (!this.closed) this.conn.up();
    } catch (err) {
      const e: StoreError = toStoreError(err, `read of ${this.prefix}/`, this.user);
      this.refusedProbes = e.code === 'store_unauthorized' ? this.refusedProbes + 1 : 0;
      if (!this.closed) this.conn.down(e.code === 'store_unavailable' ? errorMessage(err) : e.message, e.code);
      throw e;
    }
  }

  /**
   * Every `probeIntervalMs`; while etcd refuses the credentials, backing off to 15 s: each try
   * authenticates again, and etcd3 makes a new gRPC client for every authentication and never
   * closes it (grpc-js lets its channel go idle after 30 minutes).
   */
  private scheduleProbe(): void {
    if (this.closed) return;
    const wait = this.refusedProbes === 0 ? this.probeIntervalMs : Math.max(this.probeIntervalMs, backoffMs(this.refusedProbes, 1000, 15_000));
    this.probeTimer = setTimeout(() => {
      void this.probe().then(() => this.scheduleProbe());
    }, wait);
    this.probeTimer.unref();
  }
}

/** Reconnect delays of etcd3's watch stream: ~100 ms doubling to 2 s, jittered. */
function watchBackoff(attempt: number): WatchBackoff {
  return { duration: backoffMs(attempt, 100, 2000), next: () => watchBackoff(attempt + 1) };
}
