import { EtcdLeaseInvalidError, type Etcd3, type Lease } from 'etcd3';
import type { Logger } from 'pino';
import { backoffMs, settleWithin } from './async-utils.js';
import { authFailure, isConnectivityError, toStoreError } from './etcd-errors.js';
import { StoreClosedError } from './errors.js';
import type { EphemeralKey } from './types.js';

export interface EtcdEphemeralDeps {
  readonly client: Etcd3;
  readonly log: Logger | undefined;
  readonly closeTimeoutMs: number;
  onContact(): void;
  onConnectivityError(): void;
  onClose(key: EtcdEphemeralKey): void;
}

/**
 * A key under an etcd lease kept alive by etcd3's keep-alive loop. When the lease is lost (etcd
 * unreachable for longer than the TTL, or etcd reports it expired), a new lease is granted and the
 * last value written again, retrying with capped backoff until etcd answers. `close()` revokes
 * the lease, which deletes the key (best effort, bounded in time; if etcd is down the key expires
 * with its TTL).
 */
export class EtcdEphemeralKey implements EphemeralKey {
  private lease: Lease | undefined;
  private value: string | undefined;
  private dirty = false;
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly deps: EtcdEphemeralDeps,
    readonly key: string,
    private readonly ttlSeconds: number,
  ) {}

  set(value: string): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError(`ephemeral key ${this.key} was closed`));
    this.value = value;
    this.dirty = true;
    return this.serial(() => this.sync(true));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deps.onClose(this);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await settleWithin(this.chain, this.deps.closeTimeoutMs);
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    try {
      await settleWithin(lease.revoke(), this.deps.closeTimeoutMs);
    } catch (err) {
      lease.release();
      this.deps.log?.warn({ key: this.key, err: (err as Error).message }, 'could not revoke the lease of an ephemeral key; it expires with its TTL');
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async sync(rethrow: boolean): Promise<void> {
    if (this.closed || !this.dirty || this.value === undefined) return;
    const value = this.value;
    let lease: Lease | undefined;
    try {
      lease = this.lease ?? this.grant();
      await lease.put(this.key).value(value).exec();
      this.deps.onContact();
      this.attempt = 0;
      if (this.value === value) this.dirty = false;
    } catch (err) {
      if (lease && (err instanceof EtcdLeaseInvalidError || lease.revoked())) this.dropLease(lease);
      if (isConnectivityError(err)) this.deps.onConnectivityError();
      // refused credentials: each try authenticates again (see the store's probe), so try less often
      this.scheduleRetry(authFailure(err) === 'unauthorized' ? 15_000 : 2000);
      if (rethrow) throw toStoreError(err, `put of ephemeral key ${this.key}`);
    }
  }

  private grant(): Lease {
    const lease = this.deps.client.lease(this.ttlSeconds);
    lease.on('lost', (err: Error) => {
      if (this.lease !== lease) return;
      this.dropLease(lease);
      if (this.closed) return;
      this.deps.log?.warn({ key: this.key, err: err.message }, 'lease of an ephemeral key lost; re-creating it');
      this.dirty = true;
      this.scheduleRetry(authFailure(err) === 'unauthorized' ? 15_000 : 2000);
    });
    this.lease = lease;
    return lease;
  }

  private dropLease(lease: Lease): void {
    if (this.lease === lease) this.lease = undefined;
    lease.release();
  }

  private scheduleRetry(capMs = 2000): void {
    if (this.closed || this.retryTimer) return;
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.serial(() => this.sync(false));
    }, backoffMs(this.attempt, 200, capMs));
    this.retryTimer.unref();
  }
}
