import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { ID_RE } from '../../config/schema/common.js';
import type { AdminRouter } from '../admin-router.js';
import { sendJson, sendText } from '../http-util.js';
import { apiHandler, flag, type ApiContext } from './api-context.js';
import { invalidDocument } from './api-error.js';
import { HttpError } from '../../errors/junction-error.js';
import { commitPlan, storeCall } from './commit.js';
import { configDocs, idsUnder, parseStored, type StoredDoc } from './config-docs.js';
import { etag, parseIfMatch, type Precondition } from './if-match.js';
import { readJsonBody } from './request-body.js';
import { certView } from './cert-view.js';
import { problemFields, type DocRef, type Problem } from './write-plan.js';

/**
 * How a collection shows its documents, when not as they are stored: a certificate by what its
 * leaf says (`certView`), so its private key never leaves through the API — not in a list, a GET,
 * nor the echo of a dry run. Such a collection never shows a stored value that is not JSON either.
 */
export type DocumentView = (id: string, value: unknown) => unknown;

/** The collections of the admin API (docs/api.md): `/api/v1/<name>` maps to the keys `P/<name>/<id>`. */
export const COLLECTIONS: ReadonlyArray<{ readonly name: string; readonly kind: 'route' | 'backend' | 'filter' | 'cert' | 'acme'; readonly view?: DocumentView }> = [
  { name: 'routes', kind: 'route' },
  { name: 'backends', kind: 'backend' },
  { name: 'filters', kind: 'filter' },
  { name: 'certs', kind: 'cert', view: certView },
  { name: 'acme', kind: 'acme' },
];

export function registerResourceRoutes(router: AdminRouter, ctx: ApiContext): void {
  for (const { name, kind, view } of COLLECTIONS) {
    const ref = (id: string): DocRef => ({ kind, id: checkId(id, 'id') });
    router
      .on('GET', `/api/v1/${name}`, apiHandler(async (_req, res) => listCollection(ctx, res, `${name}/`, view)))
      .on('GET', `/api/v1/${name}/:id`, apiHandler(async (_req, res, p) => getDocument(ctx, res, `${name}/${ref(p.id as string).id}`, view)))
      .on('PUT', `/api/v1/${name}/:id`, apiHandler(async (req, res, p, url) => {
        const r = ref(p.id as string);
        const value = await readJsonBody(req);
        await putDocument(ctx, res, { ref: r, relKey: `${name}/${r.id}`, value, pre: writePrecondition(req.headers), dryRun: flag(url, 'dryRun'), view });
      }))
      .on('DELETE', `/api/v1/${name}/:id`, apiHandler(async (req, res, p, url) => {
        const r = ref(p.id as string);
        await deleteDocument(ctx, res, { ref: r, relKey: `${name}/${r.id}`, pre: parseIfMatch(req.headers), dryRun: flag(url, 'dryRun'), force: flag(url, 'force') });
      }));
  }
}

/** Ids in paths follow the id rule of docs/configuration.md; anything else is a 400 naming the parameter. */
export function checkId(id: string, field: string): string {
  if (!ID_RE.test(id)) {
    throw new HttpError('invalid_id', `${JSON.stringify(id)} is not a valid id`, {
      errors: [{ field, message: 'must match ^[a-z0-9][a-z0-9_.-]{0,62}$' }],
    });
  }
  return id;
}

/** `If-Match` as sent, or `If-None-Match: *` (create only) as "must not exist". */
export function writePrecondition(headers: IncomingHttpHeaders): Precondition {
  const pre = parseIfMatch(headers);
  if (pre.kind === 'none' && String(headers['if-none-match'] ?? '').trim() === '*') return { kind: 'revision', modRevision: 0 };
  return pre;
}

async function listCollection(ctx: ApiContext, res: ServerResponse, folder: string, view?: DocumentView): Promise<void> {
  const { revision, docs } = await storeCall(async () => configDocs(await ctx.store.load(), ctx.prefix));
  sendJson(res, 200, { revision, items: listItems(ctx, docs, folder, view) });
}

/** `{ id: { modRevision, value, issues? } }` for the keys directly under `folder` (`value` as `view` shows it). */
export function listItems(ctx: ApiContext, docs: ReadonlyMap<string, StoredDoc>, folder: string, view?: DocumentView): Record<string, unknown> {
  const issues = ctx.snapshot()?.issues ?? [];
  const items: Record<string, unknown> = {};
  for (const id of idsUnder(docs, folder)) {
    const doc = docs.get(folder + id) as StoredDoc;
    const key = `${ctx.prefix}/${folder}${id}`;
    const own = issues.filter((i) => i.key === key).map((i) => ({ ...(i.field ? { field: i.field } : {}), code: i.code, message: i.message }));
    items[id] = {
      modRevision: doc.modRevision,
      ...(doc.json ? { value: view ? view(id, doc.value) : doc.value } : view ? { error: 'invalid_json' } : { raw: doc.raw, error: 'invalid_json' }),
      ...(own.length > 0 ? { issues: own } : {}),
    };
  }
  return items;
}

export async function getDocument(ctx: ApiContext, res: ServerResponse, relKey: string, view?: DocumentView): Promise<void> {
  const kv = await storeCall(() => ctx.store.get(`${ctx.prefix}/${relKey}`));
  if (kv === undefined) throw new HttpError('not_found', `${relKey} does not exist`);
  const doc = parseStored(kv.value, kv.modRevision);
  if (view) {
    const id = relKey.slice(relKey.lastIndexOf('/') + 1);
    sendJson(res, 200, doc.json ? view(id, doc.value) : { id, error: 'invalid_json' }, { etag: etag(kv.modRevision) });
    return;
  }
  // a stored value that is not JSON is shown as it is, so it can be fixed
  if (!doc.json) {
    res.setHeader('etag', etag(kv.modRevision));
    sendText(res, 200, kv.value, 'text/plain; charset=utf-8');
    return;
  }
  sendJson(res, 200, doc.value, { etag: etag(kv.modRevision) });
}

/** 404 for a missing key (or the missing backend of a server), 409 for in-use, 400 naming fields otherwise. */
function rejectSingle(problems: readonly Problem[]): HttpError {
  const missing = problems.find((p) => p.code === 'not_found');
  if (missing) return new HttpError('not_found', missing.message);
  const inUse = problems.find((p) => p.code === 'in_use');
  if (inUse) {
    return new HttpError('in_use', `${inUse.message}; change those routes first (or DELETE with ?force=1)`, { routes: inUse.routes ?? [] });
  }
  return invalidDocument(problemFields(problems, () => ''));
}

export async function putDocument(
  ctx: ApiContext,
  res: ServerResponse,
  w: { ref: DocRef; relKey: string; value: unknown; pre: Precondition; dryRun: boolean; view?: DocumentView },
): Promise<void> {
  const result = await commitPlan(ctx, {
    writes: [{ op: 'put', ref: w.ref, relKey: w.relKey, value: w.value, ifMatch: w.pre }],
    dryRun: w.dryRun,
    reject: rejectSingle,
  });
  const created = result.writes[0]?.created ?? false;
  if (result.dryRun) {
    sendJson(res, 200, { dryRun: true, valid: true, key: w.relKey, created, checkedAtRevision: result.revision, value: w.view ? w.view(w.ref.id, w.value) : w.value });
    return;
  }
  const headers: Record<string, string> = { etag: etag(result.revision) };
  if (created) headers.location = `/api/v1/${w.ref.kind === 'server' ? `backends/${w.ref.backendId}/servers/${w.ref.id}` : w.relKey}`;
  sendJson(res, created ? 201 : 200, { key: w.relKey, created, modRevision: result.revision, revision: result.revision }, headers);
}

export async function deleteDocument(
  ctx: ApiContext,
  res: ServerResponse,
  w: { ref: DocRef; relKey: string; pre: Precondition; dryRun: boolean; force: boolean },
): Promise<void> {
  const result = await commitPlan(ctx, {
    writes: [{ op: 'delete', ref: w.ref, relKey: w.relKey, ifMatch: w.pre }],
    dryRun: w.dryRun,
    ignore: w.force ? new Set(['in_use']) : undefined,
    reject: rejectSingle,
  });
  const inUse = result.ignored.find((p) => p.code === 'in_use');
  sendJson(res, 200, {
    key: w.relKey,
    deleted: !result.dryRun,
    ...(inUse ? { warning: `${inUse.message}: Junction keeps serving its last version for them until they change` } : {}),
    ...(result.dryRun ? { dryRun: true, checkedAtRevision: result.revision } : { revision: result.revision }),
  });
}
