import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import type { AdminRouter } from '../admin-router.js';
import { sendError } from '../../errors/error-response.js';
import { HttpError } from '../../errors/junction-error.js';

/**
 * The dashboard's static files live in the package's `dashboard/` folder (shipped in `files`). From
 * the compiled module (dist/src/admin/dashboard/) that is four levels up.
 */
export const DASHBOARD_DIR = new URL('../../../../dashboard/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
};

/** Only plain file names from the folder: no slashes, no dot-dot, known extensions. */
const ASSET_RE = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|png|ico)$/;

/** Everything the page may load: itself, and the events socket on the same origin (CSP3 'self' covers ws:). */
const CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * `GET /` (the page) and `GET /dashboard/<file>` (its scripts and styles). These are static and
 * need no token; the page asks for one and sends it on every `/api/` call and on the socket.
 */
export function registerDashboardRoutes(router: AdminRouter, dir: URL = DASHBOARD_DIR): void {
  router
    .on('GET', '/', (_req, res) => serveAsset(res, dir, 'index.html'))
    .on('GET', '/dashboard', (_req, res) => {
      res.writeHead(308, { location: '/' });
      res.end();
    })
    .on('GET', '/dashboard/:file', (_req, res, params) => serveAsset(res, dir, params.file ?? ''));
}

async function serveAsset(res: ServerResponse, dir: URL, file: string): Promise<void> {
  const m = ASSET_RE.exec(file);
  if (!m) return sendError(res, new HttpError('not_found', `no dashboard file ${JSON.stringify(file)}`));
  let body: Buffer;
  try {
    body = await readFile(new URL(file, dir));
  } catch {
    return sendError(res, new HttpError('not_found', `no dashboard file ${JSON.stringify(file)}`));
  }
  res.writeHead(200, {
    'content-type': TYPES[m[1] as string] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // not no-referrer: under it the Fetch standard sends `Origin: null` on the page's own non-GET
    // requests, which the API refuses as cross-site (src/admin/cross-site.ts); same-origin keeps
    // the admin URL from every other site all the same
    'referrer-policy': 'same-origin',
    ...(file.endsWith('.html') ? { 'content-security-policy': CSP, 'x-frame-options': 'DENY' } : {}),
  });
  res.end(body);
}
