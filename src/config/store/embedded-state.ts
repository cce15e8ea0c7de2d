import { inPrefix, sortByKey } from './keys.js';
import type { StoredValue, StoreEvent, StoreSnapshot, TxnCondition } from './types.js';

/** A key with, for an ephemeral key, the id of the handle that holds it. */
interface Entry extends StoredValue {
  readonly owner?: number;
}

/** One write of a transaction: `value` undefined deletes; `owner` makes the key ephemeral. */
export interface StagedOp {
  readonly key: string;
  readonly value?: string;
  readonly owner?: number;
  /** for deletes: only when the key is still held by this owner */
  readonly ifOwner?: number;
}

/** What a transaction would do, computed before anything is written. */
export interface TxnPlan {
  readonly revision: number;
  readonly changed: ReadonlyMap<string, Entry | undefined>;
  readonly events: readonly StoreEvent[];
}

/**
 * The embedded store's keys and revision, with etcd's rules: one revision per transaction that
 * changes something, `createRevision`/`version` kept across updates and reset by a delete.
 * Transactions are planned first (nothing changes), persisted by the caller, then applied.
 */
export class KvState {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private rev: number,
    kvs: readonly StoredValue[],
  ) {
    for (const kv of kvs) this.entries.set(kv.key, kv);
  }

  get revision(): number {
    return this.rev;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): StoredValue | undefined {
    const e = this.entries.get(key);
    return e === undefined ? undefined : toStoredValue(e);
  }

  snapshot(prefix: string): StoreSnapshot {
    const kvs: StoredValue[] = [];
    for (const e of this.entries.values()) if (inPrefix(prefix, e.key)) kvs.push(toStoredValue(e));
    return { revision: this.rev, kvs: sortByKey(kvs) };
  }

  /** `false` when a condition fails; a plan with no events when nothing would change. */
  plan(ops: readonly StagedOp[], conditions: readonly TxnCondition[]): TxnPlan | false {
    for (const c of conditions) {
      const cur = this.entries.get(c.key);
      const holds = c.modRevision === 0 ? cur === undefined : cur?.modRevision === c.modRevision;
      if (!holds) return false;
    }
    const revision = this.rev + 1;
    const changed = new Map<string, Entry | undefined>();
    const events: StoreEvent[] = [];
    for (const op of ops) {
      const cur = this.entries.get(op.key);
      if (op.value === undefined) {
        if (cur === undefined || (op.ifOwner !== undefined && cur.owner !== op.ifOwner)) continue;
        changed.set(op.key, undefined);
        events.push({ type: 'delete', key: op.key, modRevision: revision });
      } else {
        const next: StoredValue = {
          key: op.key,
          value: op.value,
          modRevision: revision,
          createRevision: cur?.createRevision ?? revision,
          version: (cur?.version ?? 0) + 1,
        };
        changed.set(op.key, op.owner === undefined ? next : { ...next, owner: op.owner });
        events.push({ type: 'put', ...next });
      }
    }
    return { revision, changed, events };
  }

  /** The persistent keys (ephemeral ones excluded) as they are after `plan`. */
  persistentAfter(plan: TxnPlan): StoredValue[] {
    const kvs: StoredValue[] = [];
    for (const [k, e] of this.entries) if (!plan.changed.has(k) && e.owner === undefined) kvs.push(toStoredValue(e));
    for (const e of plan.changed.values()) if (e !== undefined && e.owner === undefined) kvs.push(toStoredValue(e));
    return sortByKey(kvs);
  }

  apply(plan: TxnPlan): void {
    for (const [k, e] of plan.changed) {
      if (e === undefined) this.entries.delete(k);
      else this.entries.set(k, e);
    }
    this.rev = plan.revision;
  }

  /** Forgets ephemeral keys (their owners are gone) without taking a revision. */
  dropEphemeral(): void {
    for (const [k, e] of this.entries) if (e.owner !== undefined) this.entries.delete(k);
  }
}

function toStoredValue(e: Entry): StoredValue {
  return { key: e.key, value: e.value, modRevision: e.modRevision, createRevision: e.createRevision, version: e.version };
}
