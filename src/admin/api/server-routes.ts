import type { AdminRouter } from '../admin-router.js';
import { sendJson } from '../http-util.js';
import { apiHandler, flag, type ApiContext } from './api-context.js';
import { HttpError } from '../../errors/junction-error.js';
import { storeCall } from './commit.js';
import { configDocs } from './config-docs.js';
import { parseIfMatch } from './if-match.js';
import { readJsonBody } from './request-body.js';
import { checkId, deleteDocument, getDocument, listItems, putDocument, writePrecondition } from './resource-routes.js';
import type { DocRef } from './write-plan.js';

/**
 * Servers of a backend: `P/servers/<backend>/<server>` keys. The list also shows the backend's
 * inline servers and the merged set Junction serves (a key overrides an inline server of the same id).
 */
export function registerServerRoutes(router: AdminRouter, ctx: ApiContext): void {
  const ref = (p: Readonly<Record<string, string>>): DocRef & { kind: 'server' } => ({
    kind: 'server',
    backendId: checkId(p.id as string, 'id'),
    id: checkId(p.sid as string, 'sid'),
  });
  const rel = (r: { backendId: string; id: string }) => `servers/${r.backendId}/${r.id}`;
  router
    .on('GET', '/api/v1/backends/:id/servers', apiHandler(async (_req, res, p) => {
      const id = checkId(p.id as string, 'id');
      const { revision, docs } = await storeCall(async () => configDocs(await ctx.store.load(), ctx.prefix));
      const items = listItems(ctx, docs, `servers/${id}/`);
      const backend = docs.get(`backends/${id}`);
      if (backend === undefined && Object.keys(items).length === 0) throw new HttpError('not_found', `backends/${id} does not exist`);
      const inlineRaw = backend?.json ? (backend.value as { servers?: unknown }).servers : undefined;
      const live = ctx.snapshot()?.backends.get(id);
      sendJson(res, 200, {
        revision,
        backend: id,
        items,
        inline: Array.isArray(inlineRaw) ? inlineRaw : [],
        effective: (live?.servers ?? []).map((s) => ({
          id: s.id,
          url: s.url,
          weight: s.weight,
          state: s.state,
          source: s.source === 'inline' ? 'inline' : s.source.slice(ctx.prefix.length + 1),
        })),
      });
    }))
    .on('GET', '/api/v1/backends/:id/servers/:sid', apiHandler(async (_req, res, p) => getDocument(ctx, res, rel(ref(p)))))
    .on('PUT', '/api/v1/backends/:id/servers/:sid', apiHandler(async (req, res, p, url) => {
      const r = ref(p);
      const value = await readJsonBody(req);
      await putDocument(ctx, res, { ref: r, relKey: rel(r), value, pre: writePrecondition(req.headers), dryRun: flag(url, 'dryRun') });
    }))
    .on('DELETE', '/api/v1/backends/:id/servers/:sid', apiHandler(async (req, res, p, url) => {
      const r = ref(p);
      await deleteDocument(ctx, res, { ref: r, relKey: rel(r), pre: parseIfMatch(req.headers), dryRun: flag(url, 'dryRun'), force: false });
    }));
}
