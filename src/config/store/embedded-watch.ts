import type { Logger } from 'pino';
import { SerialDelivery } from './serial-delivery.js';
import type { StoreEvent, StoreSnapshot, StoreUpdate, WatchHandle } from './types.js';

export interface HistoryEntry {
  readonly revision: number;
  readonly events: readonly StoreEvent[];
}

/**
 * The embedded store's watches and its bounded in-memory history: a watch from a revision still in
 * the history replays it, an older one starts with a `reset`; new revisions go to every watch.
 */
export class WatchHub {
  private history: HistoryEntry[] = [];
  /** every revision from historyStart up to the current one is in `history` */
  private historyStart: number;
  private readonly watches = new Set<EmbeddedWatch>();

  constructor(
    currentRevision: number,
    private readonly historyLimit: number,
    private readonly log: Logger | undefined,
  ) {
    this.historyStart = currentRevision + 1;
  }

  /** `fromRevision` <= 0 means "from now on", as in etcd. */
  watch(
    fromRevision: number,
    currentRevision: number,
    snapshot: () => StoreSnapshot,
    onUpdate: (update: StoreUpdate) => void,
  ): WatchHandle {
    const delivery = new SerialDelivery(onUpdate, this.log);
    let from = fromRevision <= 0 ? currentRevision + 1 : fromRevision;
    if (from <= currentRevision && from < this.historyStart) {
      delivery.push({ kind: 'reset', snapshot: snapshot() });
      from = currentRevision + 1;
    } else {
      for (const h of this.history) {
        if (h.revision >= from) delivery.push({ kind: 'changes', revision: h.revision, events: h.events });
      }
    }
    const w = new EmbeddedWatch(from, delivery, (x) => this.watches.delete(x));
    this.watches.add(w);
    return w;
  }

  publish(entry: HistoryEntry): void {
    if (this.historyLimit > 0) {
      this.history.push(entry);
      if (this.history.length > this.historyLimit) this.history.shift();
      this.historyStart = this.history[0]?.revision ?? entry.revision + 1;
    } else {
      this.historyStart = entry.revision + 1;
    }
    for (const w of this.watches) w.offer(entry);
  }

  /** Drops history before `revision` (a watch from `revision` on still replays). */
  compact(revision: number): void {
    if (revision <= this.historyStart) return;
    this.history = this.history.filter((h) => h.revision >= revision);
    this.historyStart = revision;
  }

  async closeAll(): Promise<void> {
    for (const w of [...this.watches]) await w.close();
  }
}

class EmbeddedWatch implements WatchHandle {
  private closed = false;

  constructor(
    private readonly fromRevision: number,
    private readonly delivery: SerialDelivery,
    private readonly onClose: (w: EmbeddedWatch) => void,
  ) {}

  offer(entry: HistoryEntry): void {
    if (!this.closed && entry.revision >= this.fromRevision) {
      this.delivery.push({ kind: 'changes', revision: entry.revision, events: entry.events });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.delivery.close();
    this.onClose(this);
  }
}
