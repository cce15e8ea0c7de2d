import type { FieldError } from '../../config/issues.js';
import type { AdminRouter } from '../admin-router.js';
import { sendJson } from '../http-util.js';
import { apiHandler, flag, type ApiContext } from './api-context.js';
import { invalidDocument } from './api-error.js';
import { commitPlan, MAX_TXN_OPS, type Assertion } from './commit.js';
import { parsePrecondition, type Precondition } from './if-match.js';
import { readJsonBody } from './request-body.js';
import { docRef, problemFields, type PlannedWrite } from './write-plan.js';

const OP_FIELDS = new Set(['op', 'key', 'value', 'ifMatch']);

/**
 * `POST /api/v1/tx`: `{"ops":[{"op":"put","key":"routes/r","value":{...}},{"op":"delete","key":"filters/f"}],
 * "ifMatch":{"routes/r":12}}`. Every op is checked together against the state after all of them,
 * then all are written in one store transaction (one etcd txn, one embedded-store revision).
 * Errors name the op: `ops[1].value.match.pathPrefix`, `ops[0].key`.
 */
export function registerTxRoute(router: AdminRouter, ctx: ApiContext): void {
  router.on('POST', '/api/v1/tx', apiHandler(async (req, res, _p, url) => {
    const body = await readJsonBody(req);
    const { writes, indices, assertions, errors } = parseTx(body, ctx.prefix);
    const at = (i: number) => `ops[${indices[i] ?? i}].`;
    if (errors.length > 0) {
      // the ops that are well-formed are still checked, so the answer lists every error at once
      if (writes.length > 0) {
        await commitPlan(ctx, {
          writes: writes.map((w) => ({ ...w, ifMatch: { kind: 'none' } })),
          dryRun: true,
          reject: (problems) => invalidDocument(byOp([...errors, ...problemFields(problems, at)])),
        });
      }
      throw invalidDocument(byOp(errors));
    }
    const result = await commitPlan(ctx, {
      writes,
      assertions,
      dryRun: flag(url, 'dryRun'),
      reject: (problems) => invalidDocument(problemFields(problems, at)),
    });
    const ops = writes.map((w, i) => ({ op: w.op, key: w.relKey, created: result.writes[i]?.created ?? false }));
    if (result.dryRun) sendJson(res, 200, { dryRun: true, valid: true, checkedAtRevision: result.revision, ops });
    else sendJson(res, 200, { revision: result.revision, ops });
  }));
}

/** Checks the transaction's shape; every problem is collected before answering 400. */
export function parseTx(
  body: unknown,
  prefix: string,
): { writes: PlannedWrite[]; indices: number[]; assertions: Assertion[]; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const writes: PlannedWrite[] = [];
  const indices: number[] = [];
  const assertions: Assertion[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidDocument([{ field: '(document)', message: 'must be a JSON object {"ops":[...]}' }]);
  }
  const tx = body as Record<string, unknown>;
  for (const k of Object.keys(tx)) if (k !== 'ops' && k !== 'ifMatch') errors.push({ field: k, message: 'is not a known field' });
  const ops = tx.ops;
  if (!Array.isArray(ops)) errors.push({ field: 'ops', message: 'is required: an array of {"op","key","value"}' });
  else if (ops.length === 0) errors.push({ field: 'ops', message: 'must hold at least one operation' });
  else if (ops.length > MAX_TXN_OPS) errors.push({ field: 'ops', message: `holds ${ops.length} operations; at most ${MAX_TXN_OPS} fit in one transaction (etcd's limit)` });
  else {
    const seen = new Map<string, number>();
    ops.forEach((raw, i) => {
      const at = `ops[${i}]`;
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return void errors.push({ field: at, message: 'must be an object {"op","key","value"}' });
      const op = raw as Record<string, unknown>;
      for (const k of Object.keys(op)) if (!OP_FIELDS.has(k)) errors.push({ field: `${at}.${k}`, message: 'is not a known field' });
      const kind = op.op;
      if (kind !== 'put' && kind !== 'delete') errors.push({ field: `${at}.op`, message: 'must be "put" or "delete"' });
      let ref: ReturnType<typeof docRef> = 'is required: a key relative to the prefix, e.g. routes/api';
      if (typeof op.key === 'string') ref = docRef(prefix, op.key);
      if (typeof ref === 'string') errors.push({ field: `${at}.key`, message: typeof op.key === 'string' ? `${JSON.stringify(op.key)}: ${ref}` : ref });
      else if (seen.has(op.key as string)) errors.push({ field: `${at}.key`, message: `${op.key as string} is already written by ops[${seen.get(op.key as string)}]; one transaction touches a key once` });
      else seen.set(op.key as string, i);
      if (kind === 'put' && !('value' in op)) errors.push({ field: `${at}.value`, message: 'is required for a put' });
      if (kind === 'delete' && 'value' in op) errors.push({ field: `${at}.value`, message: 'is not allowed on a delete' });
      let ifMatch: Precondition = { kind: 'none' };
      if (op.ifMatch !== undefined) {
        const pre = precondition(op.ifMatch, `${at}.ifMatch`, errors);
        if (pre) ifMatch = pre;
      }
      if (typeof ref !== 'string' && (kind === 'put' || kind === 'delete')) {
        if (!(kind === 'put' && !('value' in op))) {
          writes.push({ op: kind, ref, relKey: op.key as string, ...(kind === 'put' ? { value: op.value } : {}), ifMatch });
          indices.push(i);
        }
      }
    });
  }
  if (tx.ifMatch !== undefined) {
    if (tx.ifMatch === null || typeof tx.ifMatch !== 'object' || Array.isArray(tx.ifMatch)) {
      errors.push({ field: 'ifMatch', message: 'must be an object {"routes/api": <mod revision>}' });
    } else {
      for (const [key, v] of Object.entries(tx.ifMatch as Record<string, unknown>)) {
        const field = `ifMatch[${JSON.stringify(key)}]`;
        const ref = docRef(prefix, key);
        if (typeof ref === 'string') errors.push({ field, message: ref });
        const pre = precondition(v, field, errors);
        if (pre && typeof ref !== 'string') assertions.push({ relKey: key, pre });
      }
    }
  }
  const conditions = writes.filter((w) => w.ifMatch.kind !== 'none').length + assertions.length;
  if (conditions > MAX_TXN_OPS) errors.push({ field: 'ifMatch', message: `${conditions} preconditions; at most ${MAX_TXN_OPS} fit in one transaction (etcd's limit)` });
  return { writes, indices, assertions, errors };
}

function precondition(v: unknown, field: string, errors: FieldError[]): Precondition | undefined {
  if (typeof v !== 'number' && typeof v !== 'string') {
    errors.push({ field, message: 'must be a mod revision (a number, "42", or "*")' });
    return undefined;
  }
  try {
    return parsePrecondition(v, field);
  } catch (err) {
    errors.push({ field, message: (err as Error).message });
    return undefined;
  }
}

/** Errors in op order (`ops[0]...` before `ops[1]...`), envelope errors first; stable otherwise. */
function byOp(errors: readonly FieldError[]): FieldError[] {
  const index = (f: string) => {
    const m = /^ops\[(\d+)\]/.exec(f);
    return m ? Number(m[1]) : -1;
  };
  return errors.map((e, i) => ({ e, i })).sort((a, b) => index(a.e.field) - index(b.e.field) || a.i - b.i).map((x) => x.e);
}
