import type { ConfigStore, TxnCondition, TxnOp } from '../../config/store/types.js';
import { fromStoreError } from './api-error.js';
import { HttpError } from '../../errors/junction-error.js';
import { configDocs, type ConfigDocs } from './config-docs.js';
import type { DocumentValidationDeps } from './document-validation.js';
import type { Precondition } from './if-match.js';
import { checkPlan, type PlannedWrite, type Problem } from './write-plan.js';

/** etcd's default `--max-txn-ops`: a transaction may hold at most 128 operations (and 128 compares). */
export const MAX_TXN_OPS = 128;
/** A write whose checked references change under it is re-validated this many times before a 409. */
const ATTEMPTS = 3;

export interface CommitDeps {
  readonly store: ConfigStore;
  readonly prefix: string;
  readonly validation: DocumentValidationDeps;
}

/** A precondition on a key the plan does not write (a transaction's top-level `ifMatch`). */
export interface Assertion {
  readonly relKey: string;
  readonly pre: Precondition;
}

export interface CommitRequest {
  readonly writes: readonly PlannedWrite[];
  readonly assertions?: readonly Assertion[];
  readonly dryRun: boolean;
  /** problems with these codes do not stop the write (DELETE ?force=1 ignores `in_use`) */
  readonly ignore?: ReadonlySet<Problem['code']>;
  /** turns the problems of a plan into the error to answer (a 400 naming fields, a 404, a 409) */
  readonly reject: (problems: readonly Problem[]) => HttpError;
}

export interface CommitResult {
  /** the store revision the write created (dry run: the revision it was checked against) */
  readonly revision: number;
  readonly dryRun: boolean;
  /** problems that were ignored on request (`in_use` with ?force=1) */
  readonly ignored: readonly Problem[];
  readonly writes: ReadonlyArray<{ readonly op: 'put' | 'delete'; readonly key: string; readonly created: boolean; readonly previousModRevision: number | null }>;
}

/**
 * Validates and writes a plan in one store transaction: read the configuration at one revision,
 * check the `If-Match` preconditions (412), check every document and reference (the `reject`
 * error), then commit with the preconditions and the checked references as transaction conditions,
 * so nothing the check relied on can change between the check and the write. When only a checked
 * reference changed meanwhile, the plan is checked again against the new state.
 */
export async function commitPlan(deps: CommitDeps, req: CommitRequest): Promise<CommitResult> {
  for (let attempt = 1; ; attempt++) {
    const docs = await storeCall(async () => configDocs(await deps.store.load(), deps.prefix));
    const conditions = preconditions(deps.prefix, docs, req);
    const check = checkPlan(req.writes, docs.docs, deps.validation);
    const problems = check.problems.filter((p) => !req.ignore?.has(p.code));
    const ignored = check.problems.filter((p) => req.ignore?.has(p.code));
    if (problems.length > 0) throw req.reject(problems);
    const writes = req.writes.map((w) => ({
      op: w.op,
      key: w.relKey,
      created: w.op === 'put' && !docs.docs.has(w.relKey),
      previousModRevision: docs.docs.get(w.relKey)?.modRevision ?? null,
    }));
    if (req.dryRun) return { revision: docs.revision, dryRun: true, ignored, writes };

    const conditioned = new Set(conditions.map((c) => c.key));
    for (const [rel, modRevision] of check.guards) {
      const key = `${deps.prefix}/${rel}`;
      if (conditions.length >= MAX_TXN_OPS) break; // past etcd's compare limit the rare extra guard is dropped
      if (!conditioned.has(key)) conditions.push({ key, modRevision });
    }
    const ops: TxnOp[] = req.writes.map((w) =>
      w.op === 'put' ? { op: 'put', key: `${deps.prefix}/${w.relKey}`, value: JSON.stringify(w.value) } : { op: 'delete', key: `${deps.prefix}/${w.relKey}` },
    );
    const result = await storeCall(() => deps.store.txn(ops, conditions));
    if (result.succeeded) return { revision: result.revision, dryRun: false, ignored, writes };
    if (attempt >= ATTEMPTS) {
      throw new HttpError('conflict', 'the configuration kept changing while this write was checked; try again');
    }
    // a precondition or a checked reference changed: the next round answers 412 or checks again
  }
}

/** The If-Match conditions as transaction conditions; a stale one is a 412 right away. */
function preconditions(prefix: string, docs: ConfigDocs, req: CommitRequest): TxnCondition[] {
  const wanted: Assertion[] = [...req.writes.map((w) => ({ relKey: w.relKey, pre: w.ifMatch })), ...(req.assertions ?? [])];
  const out: TxnCondition[] = [];
  for (const { relKey, pre } of wanted) {
    if (pre.kind === 'none') continue;
    const current = docs.docs.get(relKey)?.modRevision;
    const expected = pre.kind === 'exists' ? (current ?? -1) : pre.modRevision;
    const holds = pre.kind === 'exists' ? current !== undefined : expected === (current ?? 0);
    if (!holds) {
      throw new HttpError('precondition_failed',
        current === undefined
          ? `${relKey} does not exist${pre.kind === 'revision' ? ` (If-Match ${pre.modRevision})` : ''}`
          : `${relKey} is at mod revision ${current}, not ${pre.kind === 'revision' ? pre.modRevision : 'absent'}: re-read it and retry`,
        { key: relKey, modRevision: current ?? null },
      );
    }
    out.push({ key: `${prefix}/${relKey}`, modRevision: pre.kind === 'exists' ? (current as number) : pre.modRevision });
  }
  return out;
}

export async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromStoreError(err) ?? err;
  }
}
