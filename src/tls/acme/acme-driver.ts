import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { AcmeConfig, ConfigSnapshot } from '../../config/snapshot.js';
import { settleWithin } from '../../config/store/async-utils.js';
import type { ConfigStore, StoreLock, TxnOp } from '../../config/store/types.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AcmeAccount, AcmeIssuer } from './acme-issuer.js';
import type { AcmeKeys } from './acme-keys.js';
import { parseOrderState, retryDelayMs, sameDomains, type OrderState } from './order-state.js';
import { orderReason, renewAt, type OrderReason } from './renewal.js';

export interface AcmeDriverOptions {
  readonly store: ConfigStore;
  readonly keys: AcmeKeys;
  readonly issuer: AcmeIssuer;
  /** the snapshot serving now: its `acme` specs and `certs` */
  readonly snapshot: () => ConfigSnapshot | undefined;
  /** the latest value of one of Junction's own keys, as the watch delivered it (no I/O) */
  readonly ownValue: (key: string) => string | undefined;
  readonly instance: string;
  readonly logger: Logger;
  readonly metrics: Pick<Metrics, 'acmeOrders'>;
  /** how often every instance looks at the lock and the specs; default 5000 ms */
  readonly tickMs?: number;
  /** the lock's lease; default 10 s (a dead driver is replaced within it) */
  readonly lockTtlSeconds?: number;
  /** back-off after a failed order: from `retryMinMs` (default 60 s) doubling to `retryMaxMs` (6 h) */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly now?: () => number;
}

/** What `GET /api/v1/status` shows under `acme`. */
export interface AcmeReport {
  readonly directory: string;
  /** the instance holding `P/locks/acme` (null: none right now) */
  readonly driver: string | null;
  readonly driving: boolean;
  readonly certificates: readonly AcmeCertReport[];
}

export interface AcmeCertReport {
  readonly id: string;
  readonly cert: string;
  readonly domains: readonly string[];
  /** valid: serving and not due; due: an order is needed (missing, new names, renewal); ordering; failed: backing off */
  readonly state: 'valid' | 'due' | 'ordering' | 'failed';
  readonly notAfter: string | null;
  readonly renewAt: string | null;
  readonly lastAttemptAt: string | null;
  readonly failures: number;
  readonly lastError: string | null;
  readonly nextAttemptAt: string | null;
}

/**
 * Automatic certificates for a fleet (SPEC §8). Every instance started with `--acme-directory`
 * runs one; exactly one at a time — the holder of the lease lock `P/locks/acme` — orders and renews.
 * Each tick it takes the lock if it is free, then for every AcmeSpec whose certificate is missing,
 * for other names, or two thirds into its life, runs one order; the HTTP-01 key authorizations go to
 * `P/acme-state/challenges/`, where every instance answers them. Every write it makes is fenced by the
 * lock (a transaction on the lock key's revision): a driver that lost its lock — cut off, paused,
 * replaced — can no longer write a certificate, a challenge or a record. A driver killed mid-order
 * leaves a free lock within its TTL; the next one orders afresh (the ACME server reuses the
 * authorizations already valid). A failed order is recorded with its reason and retried with
 * back-off; it never touches the certificate serving.
 */
export class AcmeDriver {
  readonly #o: AcmeDriverOptions;
  readonly #tickMs: number;
  readonly #now: () => number;
  #lock: StoreLock | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #lastWarning = 0;

  constructor(opts: AcmeDriverOptions) {
    this.#o = opts;
    this.#tickMs = opts.tickMs ?? 5000;
    this.#now = opts.now ?? Date.now;
  }

  start(): void {
    this.kick();
  }

  /** Looks again now (a configuration was applied: maybe a new AcmeSpec). */
  kick(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.#tick().finally(() => {
      this.#running = undefined;
      if (this.#closed) return;
      if (this.#again) {
        this.#again = false;
        this.kick();
        return;
      }
      this.#timer = setTimeout(() => this.kick(), this.#tickMs);
      this.#timer.unref();
    });
  }

  /** Stops: an order under way is given a few seconds, then the lock is released for the next driver. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await settleWithin(this.#running ?? Promise.resolve(), 5000);
    await this.#lock?.release().catch(() => undefined);
    this.#lock = undefined;
  }

  report(): AcmeReport {
    const snap = this.#o.snapshot();
    const holder = this.#holder();
    const now = this.#now();
    const certificates: AcmeCertReport[] = [];
    for (const spec of snap?.acme.values() ?? []) {
      const cert = snap?.certs.get(spec.certId);
      const rec = parseOrderState(this.#o.ownValue(this.#o.keys.order(spec.id)));
      const state = sameDomains(rec, spec.domains) ? rec : undefined;
      const due = orderReason(spec, cert, now) !== undefined;
      certificates.push({
        id: spec.id,
        cert: spec.certId,
        domains: spec.domains,
        state: state?.state === 'ordering' ? 'ordering' : due && state?.state === 'failed' ? 'failed' : due ? 'due' : 'valid',
        notAfter: cert?.notAfter ?? null,
        renewAt: cert === undefined ? null : new Date(renewAt(cert)).toISOString(),
        lastAttemptAt: state?.at ?? null,
        failures: state?.failures ?? 0,
        lastError: state?.lastError ?? null,
        nextAttemptAt: state?.nextAttemptAt ?? null,
      });
    }
    return { directory: this.#o.issuer.directoryUrl, driver: holder ?? null, driving: this.#lock !== undefined && !this.#lock.signal.aborted, certificates };
  }

  async #tick(): Promise<void> {
    try {
      const snap = this.#o.snapshot();
      if (snap === undefined || snap.acme.size === 0) return;
      const lock = await this.#takeLock();
      if (lock !== undefined) await this.#drive(lock, snap);
    } catch (err) {
      // the store is unreachable, or the ACME server is: said at most once a minute; next tick tries again
      if (this.#now() - this.#lastWarning > 60_000) {
        this.#lastWarning = this.#now();
        this.#o.logger.warn({ err }, 'ACME: this tick failed; trying again');
      }
    }
  }

  /** The lock, if this instance holds it or can take it now (a free lock is seen from memory first). */
  async #takeLock(): Promise<StoreLock | undefined> {
    if (this.#lock !== undefined && !this.#lock.signal.aborted) return this.#lock;
    this.#lock = undefined;
    if (this.#closed || this.#holder() !== undefined) return undefined;
    const since = new Date(this.#now()).toISOString();
    const lock = await this.#o.store.tryLock(this.#o.keys.lock, JSON.stringify({ instance: this.#o.instance, since }), this.#o.lockTtlSeconds ?? 10);
    if (lock === undefined) return undefined;
    if (this.#closed) {
      await lock.release();
      return undefined;
    }
    this.#lock = lock;
    this.#o.logger.info({ lock: lock.key }, 'ACME: this instance now drives the fleet\'s certificates');
    lock.signal.addEventListener('abort', () => {
      if (this.#closed) return;
      this.#o.logger.warn({ reason: (lock.signal.reason as Error).message }, 'ACME: this instance no longer drives (the lock was lost)');
    });
    await this.#clearChallenges(lock);
    return lock;
  }

  /** The instance named in the lock key, if someone holds it. */
  #holder(): string | undefined {
    if (this.#lock !== undefined && !this.#lock.signal.aborted) return this.#o.instance;
    const value = this.#o.ownValue(this.#o.keys.lock);
    if (value === undefined) return undefined;
    try {
      const v = JSON.parse(value) as { instance?: unknown };
      return typeof v.instance === 'string' ? v.instance : '(unknown)';
    } catch {
      return '(unknown)';
    }
  }

  /** Challenge keys a previous driver left (it died mid-order): not needed by anyone now. */
  async #clearChallenges(lock: StoreLock): Promise<void> {
    const { kvs } = await this.#o.store.load();
    const stale = kvs.filter((kv) => kv.key.startsWith(this.#o.keys.challenges)).map((kv): TxnOp => ({ op: 'delete', key: kv.key }));
    for (let i = 0; i < stale.length; i += 64) await this.#fenced(lock, stale.slice(i, i + 64));
  }

  async #drive(lock: StoreLock, snap: ConfigSnapshot): Promise<void> {
    for (const spec of snap.acme.values()) {
      if (this.#closed || lock.signal.aborted) return;
      const current = this.#o.snapshot() ?? snap;
      if (!current.acme.has(spec.id)) continue; // deleted meanwhile
      const now = this.#now();
      const reason = orderReason(spec, current.certs.get(spec.certId), now);
      if (reason === undefined) continue;
      // read from the store, not from what the watch delivered: this driver's own last write (a
      // moment ago) must count, and the snapshot may not show its certificate yet
      const rec = parseOrderState((await this.#o.store.get(this.#o.keys.order(spec.id)))?.value);
      const same = sameDomains(rec, spec.domains) ? rec : undefined;
      if (same?.state === 'failed' && same.nextAttemptAt !== undefined && Date.parse(same.nextAttemptAt) > now) continue;
      if (same?.state === 'issued' && reason !== 'renewal') {
        // written, and yet not serving: not applied here yet, or rejected by validation
        if (now - Date.parse(same.at) < this.#tickMs * 2 + 5000) continue;
        const issue = current.issues.find((i) => i.key === this.#o.keys.cert(spec.certId));
        await this.#failed(lock, spec, same, new Error(`the certificate issued was not accepted: ${issue?.message ?? 'it is not serving'}`));
        continue;
      }
      await this.#order(lock, spec, reason, same);
    }
  }

  async #order(lock: StoreLock, spec: AcmeConfig, reason: OrderReason, prev: OrderState | undefined): Promise<void> {
    const { keys, issuer, logger } = this.#o;
    const started = this.#now();
    logger.info({ acme: spec.id, domains: spec.domains, reason }, 'ACME: ordering a certificate');
    const failures = prev?.failures ?? 0;
    await this.#record(lock, spec, { state: 'ordering', failures, ...(prev?.lastError === undefined ? {} : { lastError: prev.lastError }) });
    let issued;
    let account: AcmeAccount;
    try {
      account = await this.#account(lock);
      issued = await issuer.issue(account, spec.domains, {
        put: async (token, keyAuthorization) => {
          if (!(await this.#fenced(lock, [{ op: 'put', key: keys.challenge(token), value: keyAuthorization }]))) throw lockLost(lock);
        },
        remove: async (token) => {
          await this.#o.store.delete(keys.challenge(token)).catch(() => undefined);
        },
      });
    } catch (err) {
      if (lock.signal.aborted) return; // the next driver takes over; nothing to record from here
      await this.#failed(lock, spec, { failures }, err);
      return;
    }
    const fingerprint256 = new X509Certificate(issued.cert).fingerprint256;
    const ops: TxnOp[] = [
      { op: 'put', key: keys.cert(spec.certId), value: JSON.stringify({ cert: issued.cert, key: issued.key }) },
      { op: 'put', key: keys.order(spec.id), value: this.#state(spec, { state: 'issued', failures: 0, fingerprint256 }) },
    ];
    if (issued.accountUrl !== account.url) ops.push({ op: 'put', key: keys.account, value: JSON.stringify({ ...account, url: issued.accountUrl }) });
    if (!(await this.#fenced(lock, ops))) return;
    this.#o.metrics.acmeOrders.labels(reason === 'renewal' ? 'renewed' : 'issued').inc();
    logger.info({ acme: spec.id, cert: spec.certId, domains: spec.domains, reason, ms: this.#now() - started }, 'ACME: certificate issued');
  }

  async #failed(lock: StoreLock, spec: AcmeConfig, prev: Pick<OrderState, 'failures'>, err: unknown): Promise<void> {
    const failures = prev.failures + 1;
    const delay = retryDelayMs(failures, this.#o.retryMinMs ?? 60_000, this.#o.retryMaxMs ?? 6 * 3_600_000);
    const lastError = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
    this.#o.metrics.acmeOrders.labels('failed').inc();
    this.#o.logger.warn({ acme: spec.id, domains: spec.domains, failures, retryInMs: delay, error: lastError }, 'ACME: the order failed; the certificate serving (if any) is kept');
    await this.#record(lock, spec, { state: 'failed', failures, lastError, nextAttemptAt: new Date(this.#now() + delay).toISOString() });
  }

  async #record(lock: StoreLock, spec: AcmeConfig, fields: Omit<OrderState, 'domains' | 'instance' | 'at'>): Promise<void> {
    await this.#fenced(lock, [{ op: 'put', key: this.#o.keys.order(spec.id), value: this.#state(spec, fields) }]).catch(() => undefined);
  }

  #state(spec: AcmeConfig, fields: Omit<OrderState, 'domains' | 'instance' | 'at'>): string {
    const s: OrderState = { domains: spec.domains, instance: this.#o.instance, at: new Date(this.#now()).toISOString(), ...fields };
    return JSON.stringify(s);
  }

  /** The account for this directory: the one in the store, or a new key written there. */
  async #account(lock: StoreLock): Promise<AcmeAccount> {
    const stored = await this.#o.store.get(this.#o.keys.account);
    const account = parseAccount(stored?.value);
    if (account !== undefined && account.directory === this.#o.issuer.directoryUrl) return account;
    const fresh = await this.#o.issuer.newAccount();
    if (!(await this.#fenced(lock, [{ op: 'put', key: this.#o.keys.account, value: JSON.stringify(fresh) }]))) throw lockLost(lock);
    return fresh;
  }

  /** Writes `ops` only while the lock holds (the lock key still at the revision that made it). */
  async #fenced(lock: StoreLock, ops: readonly TxnOp[]): Promise<boolean> {
    if (lock.signal.aborted) return false;
    const res = await this.#o.store.txn(ops, [{ key: lock.key, modRevision: lock.revision }]);
    return res.succeeded;
  }
}

function parseAccount(value: string | undefined): AcmeAccount | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as Partial<AcmeAccount>;
    if (typeof v.directory !== 'string' || typeof v.key !== 'string') return undefined;
    return { directory: v.directory, key: v.key, url: typeof v.url === 'string' ? v.url : undefined };
  } catch {
    return undefined;
  }
}

function lockLost(lock: StoreLock): Error {
  return new Error(`no longer holding ${lock.key}`);
}
