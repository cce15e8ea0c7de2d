import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AdminRouter } from './admin-router.js';
import type { AdminAuth } from './auth.js';
import { crossSiteRefusal, jsonBodyRefusal } from './cross-site.js';
import { sendError } from '../errors/error-response.js';
import { HttpError } from '../errors/junction-error.js';
import { sendJson, sendText } from './http-util.js';

export interface AdminContext {
  readonly auth: AdminAuth;
  readonly registry: Registry;
  readonly logger: Logger;
  /** true once a first configuration is applied and while not draining */
  ready(): boolean;
  /** the document of `GET /api/v1/status` */
  status(): unknown;
  /** the `/metrics` text, when it is not just `registry` (the primary of `--workers` aggregates its workers') */
  scrape?(): Promise<string>;
  /** answers what no endpoint here matches (the primary of `--workers` passes it on to a worker) */
  fallback?(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The admin listener: `/healthz`, `/readyz`, `/metrics` (and the dashboard's static files) open to
 * any client and any `Host` — probes and scrapers reach it by IP or service name; everything under
 * `/api/` refused to other web pages (src/admin/cross-site.ts) and behind the bearer token when one
 * is set. Returns the router so later features add their endpoints.
 */
export function createAdminServer(ctx: AdminContext): { server: Server; router: AdminRouter } {
  const router = new AdminRouter();
  router
    .on('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }))
    .on('GET', '/readyz', (_req, res) =>
      ctx.ready() ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'not_ready' }),
    )
    .on('GET', '/metrics', async (_req, res) => {
      sendText(res, 200, ctx.scrape ? await ctx.scrape() : await ctx.registry.metrics(), ctx.registry.contentType);
    })
    .on('GET', '/api/v1/status', async (_req, res) => sendJson(res, 200, await ctx.status()));

  const server = createServer((req, res) => {
    handle(ctx, router, req, res).catch((err: unknown) => {
      ctx.logger.error({ err, url: req.url }, 'admin request failed');
      if (!res.headersSent) sendError(res, new HttpError('internal', 'the admin request failed'));
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return { server, router };
}

async function handle(ctx: AdminContext, router: AdminRouter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://admin');
  } catch {
    return sendError(res, new HttpError('bad_request', 'malformed request target'));
  }
  if (url.pathname.startsWith('/api/')) {
    // before the token: who sent it matters whatever it carries (src/admin/cross-site.ts)
    const foreign = crossSiteRefusal(req, { tokenSet: ctx.auth.enabled });
    if (foreign) return refuse(req, res, foreign);
    if (!ctx.auth.allows(req)) {
      res.setHeader('www-authenticate', 'Bearer realm="junction"');
      return refuse(req, res, new HttpError('unauthorized', 'a valid "Authorization: Bearer <token>" header is required'));
    }
    const badBody = jsonBodyRefusal(req);
    if (badBody) return refuse(req, res, badBody);
  }
  const found = router.find(req.method ?? 'GET', url.pathname);
  if (found === undefined && ctx.fallback) return ctx.fallback(req, res);
  if (found === undefined) return sendError(res, new HttpError('not_found', `no admin endpoint ${url.pathname}`));
  if ('allowed' in found) {
    res.setHeader('allow', found.allowed.join(', '));
    return sendError(res, new HttpError('method_not_allowed', `use ${found.allowed.join(' or ')}`));
  }
  await found.handler(req, res, found.params, url);
}

/** Answers a refused request; its body, unread, is discarded. */
function refuse(req: IncomingMessage, res: ServerResponse, err: HttpError): void {
  req.resume();
  sendError(res, err);
}
