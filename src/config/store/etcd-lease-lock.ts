import { CompareResult, CompareTarget, type Etcd3, type Lease } from 'etcd3';
import type { Logger } from 'pino';
import { settleWithin } from './async-utils.js';
import { num } from './etcd-convert.js';
import { toStoreError } from './etcd-errors.js';
import type { StoreLock } from './types.js';

export interface EtcdLockDeps {
  readonly client: Etcd3;
  readonly log: Logger | undefined;
  /** bound on the revoke at release */
  readonly callTimeoutMs: number;
  onClose(lock: EtcdLeaseLock): void;
}

/**
 * One attempt at `key`: a lease of `ttlSeconds` is granted, then the key is created under it in a
 * transaction whose only condition is that the key does not exist (its create revision is 0), so
 * two clients never both hold it. Lost, the lease is revoked; `undefined` when someone holds it.
 */
export async function tryEtcdLock(deps: EtcdLockDeps, key: string, value: string, ttlSeconds: number): Promise<EtcdLeaseLock | undefined> {
  const lease = deps.client.lease(ttlSeconds);
  lease.on('lost', () => undefined); // a lease that fails before the lock exists: the calls below report it
  const askedAt = Date.now();
  let id: string;
  try {
    id = await lease.grant();
  } catch (err) {
    lease.release();
    throw toStoreError(err, `lease for the lock ${key}`);
  }
  let succeeded: boolean;
  let revision: number;
  try {
    const res = await deps.client.kv.txn({
      compare: [{ key: Buffer.from(key), target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 }],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value), lease: id } }],
      failure: [],
    });
    succeeded = res.succeeded;
    revision = num(res.header.revision);
  } catch (err) {
    void revokeWithin(lease, deps.callTimeoutMs);
    throw toStoreError(err, `lock ${key}`);
  }
  if (!succeeded) {
    await revokeWithin(lease, deps.callTimeoutMs);
    return undefined;
  }
  return new EtcdLeaseLock(deps, lease, key, revision, ttlSeconds, askedAt);
}

/**
 * A held lock. It is lost — `signal` aborted, the lease revoked — when:
 * - etcd3 reports the lease lost (etcd says it expired);
 * - no keep-alive has been acknowledged for 3/4 of the TTL. etcd counts the TTL from when it
 *   received the last keep-alive, which was after we sent it: measured from the send time, the
 *   key lives at least a quarter of the TTL past this point (2.5 s at 10 s), so the holder stops
 *   before anyone else can take the key as long as a round trip is shorter than that (etcd3's own
 *   `lost` comes only after twice the TTL);
 * - the key is gone or was written by anyone since the lock created it (its mod revision moved;
 *   checked about once a second).
 */
export class EtcdLeaseLock implements StoreLock {
  readonly #ctrl = new AbortController();
  readonly signal: AbortSignal = this.#ctrl.signal;
  /** send times of the keep-alives not acknowledged yet, oldest first */
  #fired: number[] = [];
  /** the send time of the last acknowledged keep-alive (at first: when the lease was asked for) */
  #alive: number;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #lastPoll = 0;
  #done = false;

  constructor(
    private readonly deps: EtcdLockDeps,
    private readonly lease: Lease,
    readonly key: string,
    readonly revision: number,
    private readonly ttlSeconds: number,
    askedAt: number,
  ) {
    this.#alive = askedAt;
    lease.on('keepaliveEstablished', () => {
      this.#fired = [];
    });
    lease.on('keepaliveFired', () => {
      this.#fired.push(Date.now());
    });
    lease.on('keepaliveSucceeded', () => {
      this.#alive = this.#fired.shift() ?? this.#alive;
    });
    lease.on('lost', (err: Error) => this.#lose(`its lease was lost: ${err.message}`));
    this.#timer = setInterval(() => this.#check(), 250);
    this.#timer.unref();
  }

  async release(): Promise<void> {
    if (this.#done) return;
    this.#stop('released');
    await revokeWithin(this.lease, this.deps.callTimeoutMs);
  }

  #check(): void {
    if (this.#done) return;
    const silentMs = Date.now() - this.#alive;
    if (silentMs > this.ttlSeconds * 750) {
      this.#lose(`no keep-alive of its ${this.ttlSeconds} s lease was acknowledged for ${Math.round(silentMs / 100) / 10} s`);
      return;
    }
    if (this.#polling || Date.now() - this.#lastPoll < 1000) return;
    this.#polling = true;
    this.#lastPoll = Date.now();
    this.deps.client.kv
      .range({ key: Buffer.from(this.key) })
      .then((res) => {
        const kv = res.kvs[0];
        if (kv === undefined) this.#lose('its key was deleted');
        else if (num(kv.mod_revision) !== this.revision) this.#lose(`its key was written again at revision ${kv.mod_revision} by someone else`);
      })
      .catch(() => undefined) // unreachable: the keep-alive deadline decides
      .finally(() => {
        this.#polling = false;
      });
  }

  #lose(reason: string): void {
    if (this.#done) return;
    this.deps.log?.warn({ key: this.key, reason }, 'lock lost');
    this.#stop(`the lock ${this.key} was lost: ${reason}`);
    // the key may still be there (a slow etcd): revoke so the next holder need not wait for the TTL
    void revokeWithin(this.lease, this.deps.callTimeoutMs);
  }

  #stop(reason: string): void {
    this.#done = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.deps.onClose(this);
    this.#ctrl.abort(new Error(reason));
  }
}

async function revokeWithin(lease: Lease, ms: number): Promise<void> {
  try {
    await settleWithin(lease.revoke(), ms);
  } catch {
    lease.release(); // it expires with its TTL
  }
}
