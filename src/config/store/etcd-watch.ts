import type { Etcd3, IWatchResponse, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { backoffMs, delay } from './async-utils.js';
import { toStoreEvent, num } from './etcd-convert.js';
import { authFailure } from './etcd-errors.js';
import { inPrefix } from './keys.js';
import { SerialDelivery } from './serial-delivery.js';
import type { StoreEvent, StoreSnapshot, StoreUpdate, WatchHandle } from './types.js';

export interface EtcdWatchDeps {
  readonly client: Etcd3;
  readonly prefix: string;
  readonly log: Logger | undefined;
  /** a watch exchange succeeded */
  onContact(): void;
  /** the watch stream dropped: check connectivity now */
  onDisconnect(): void;
  /**
   * A read that authenticates again if etcd says the token is stale, and reports to the store's
   * health what etcd answered; rejects if it could not read the prefix.
   */
  checkAccess(): Promise<void>;
  load(): Promise<StoreSnapshot>;
  /** removes the session from its store */
  onClose(session: EtcdWatchSession): void;
  readonly closeTimeoutMs: number;
}

/**
 * One `watch()` of the etcd store.
 *
 * - Each etcd watch response becomes one `changes` update: etcd never splits a revision across
 *   responses, so a transaction's writes arrive together.
 * - The position (`nextRevision`) is kept here, not in etcd3: etcd3 resumes after a reconnect from
 *   the header revision of the last response, which can skip events when etcd splits a long
 *   catch-up into batches; the session rewrites the start revision each time etcd3 (re)creates the
 *   watcher, so a reconnect resumes exactly after the last event delivered.
 * - etcd refusing the watch for its credentials (the auth token died with an etcd restart or ran
 *   out its TTL, the password was refused, the user lost its permission) is not a reason to
 *   reload: the session authenticates again (`checkAccess`, retried with backoff while etcd keeps
 *   refusing) and watches again from `nextRevision`, so nothing is lost and nothing is re-read.
 *   etcd3 does neither by itself: it re-authenticates unary calls only, and a watch stream keeps
 *   the token it was opened with. So each watcher gets a watch stream of its own (a fresh etcd3
 *   namespace, hence a fresh WatchManager), opened with the token of the moment.
 * - Any other watcher `error` (compaction cancels the watcher for good) drops the watcher, reloads
 *   the prefix (retrying with capped backoff while etcd is down), delivers a `reset` and watches
 *   again from the reset's revision + 1.
 */
export class EtcdWatchSession implements WatchHandle {
  private nextRevision: number;
  private watcher: Watcher | undefined;
  private closed = false;
  /** watches refused for their credentials since the last one etcd accepted */
  private refusals = 0;
  private readonly delivery: SerialDelivery;

  constructor(
    private readonly deps: EtcdWatchDeps,
    fromRevision: number,
    onUpdate: (update: StoreUpdate) => void,
  ) {
    this.nextRevision = fromRevision;
    this.delivery = new SerialDelivery(onUpdate, deps.log);
    this.attach();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.delivery.close();
    this.deps.onClose(this);
    const w = this.watcher;
    this.watcher = undefined;
    if (w) {
      // bounded: cancel waits for etcd's confirmation, which never comes while etcd is down
      await Promise.race([w.cancel().catch(() => undefined), delay(this.deps.closeTimeoutMs)]);
    }
  }

  private attach(): void {
    // a namespace of its own: a new WatchManager, so a new stream carrying the current auth token
    // (a watcher added to an existing stream would inherit that stream's token, maybe a dead one)
    const w = this.deps.client
      .namespace('')
      .watch()
      .prefix(this.deps.prefix + '/')
      .startRevision(String(this.nextRevision))
      .watcher();
    this.watcher = w;
    w.on('connecting', () => {
      // etcd3 sends `w.request` right after this event: resume after the last delivered event
      if (w === this.watcher) w.request.start_revision = String(this.nextRevision);
    });
    w.on('connected', () => {
      if (w !== this.watcher) return;
      this.refusals = 0;
      this.deps.onContact();
    });
    w.on('disconnected', (err: unknown) => {
      if (w !== this.watcher) return;
      if (authFailure(err) === undefined) return this.deps.onDisconnect();
      // etcd3 could not authenticate to reopen the stream (wrong password...); it would retry
      // every 2 s at most, authenticating each time: take the watcher back and retry at our pace
      // (etcd3's manager is idle right now, so cancel() just removes the watcher)
      this.watcher = undefined;
      void w.cancel().catch(() => undefined);
      this.onRefused(err);
    });
    w.on('data', (res: IWatchResponse) => this.onData(w, res));
    w.on('error', (err: Error) => this.onError(w, err));
    w.on('end', () => undefined);
  }

  private onData(w: Watcher, res: IWatchResponse): void {
    // never throw from here: etcd3 rethrows listener errors as uncaught exceptions
    try {
      if (this.closed || w !== this.watcher) return;
      this.deps.onContact();
      if (res.events.length === 0) {
        // progress notification: sent only to a watcher that has received everything up to it
        this.nextRevision = Math.max(this.nextRevision, num(res.header.revision) + 1);
        return;
      }
      const events: StoreEvent[] = [];
      let last = 0;
      for (const ev of res.events) {
        const e = toStoreEvent(ev);
        // below nextRevision: already delivered (cannot happen while etcd honours start_revision)
        if (e.modRevision < this.nextRevision) continue;
        last = Math.max(last, e.modRevision);
        if (inPrefix(this.deps.prefix, e.key)) events.push(e);
      }
      if (last === 0) return;
      this.nextRevision = last + 1;
      if (events.length > 0) this.delivery.push({ kind: 'changes', revision: last, events });
    } catch (err) {
      this.deps.log?.error({ err }, 'cannot decode an etcd watch response');
    }
  }

  private onError(w: Watcher, err: Error): void {
    if (this.closed || w !== this.watcher) return;
    // etcd3 has already detached a canceled watcher: do not cancel it again (that would wait forever)
    this.watcher = undefined;
    if (authFailure(err) !== undefined) return this.onRefused(err);
    this.deps.log?.warn({ err: err.message, fromRevision: this.nextRevision }, 'etcd watch failed; reloading the whole prefix');
    void this.resync();
  }

  /** etcd refused the watch for its credentials: authenticate again, then resume from `nextRevision`. */
  private onRefused(err: unknown): void {
    this.refusals++;
    if (this.refusals === 1 || this.refusals % 10 === 0) {
      this.deps.log?.warn(
        { err: err instanceof Error ? err.message : String(err), fromRevision: this.nextRevision, refusals: this.refusals },
        'etcd refused the watch for its credentials; authenticating again, then resuming the watch',
      );
    }
    void this.reauthenticate();
  }

  private async reauthenticate(): Promise<void> {
    // refused again right after an accepted re-authentication (a permission the read has but the
    // watch lacks): do not loop at full speed
    if (this.refusals > 1) await delay(backoffMs(this.refusals - 1, 250, 15_000));
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        await this.deps.checkAccess();
      } catch {
        // checkAccess reported it to the store's health; wait as the probe does while refused
        if (this.closed) return;
        await delay(backoffMs(attempt, 250, 15_000));
        continue;
      }
      if (this.closed) return;
      this.attach();
      return;
    }
  }

  private async resync(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      let snapshot: StoreSnapshot;
      try {
        snapshot = await this.deps.load();
      } catch (err) {
        if (this.closed) return;
        if (attempt === 1 || attempt % 10 === 0) {
          this.deps.log?.warn({ err: (err as Error).message, attempt }, 'reload after a watch failure failed; retrying');
        }
        await delay(backoffMs(attempt, 100, 2000));
        continue;
      }
      if (this.closed) return;
      this.delivery.push({ kind: 'reset', snapshot });
      this.nextRevision = snapshot.revision + 1;
      this.attach();
      return;
    }
  }
}
