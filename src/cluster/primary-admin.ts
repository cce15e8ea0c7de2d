import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import type { Logger } from 'pino';
import { createAdminServer } from '../admin/admin-server.js';
import type { AdminAuth } from '../admin/auth.js';
import { crossSiteRefusal } from '../admin/cross-site.js';
import { sendJson } from '../admin/http-util.js';
import { sendError, sendErrorOnSocket } from '../errors/error-response.js';
import { HttpError } from '../errors/junction-error.js';
import { scrapeWorkers, type PrimaryMetrics } from './cluster-metrics.js';
import type { WorkerPool, WorkerSlot } from './worker-pool.js';
import { WorkerOp } from './worker-protocol.js';

export interface PrimaryAdminOptions {
  readonly pool: WorkerPool;
  readonly auth: AdminAuth;
  readonly logger: Logger;
  readonly metrics: PrimaryMetrics;
  readonly instanceId: string;
  /** true while the primary drains */
  stopping(): boolean;
}

/** The per-worker rows of `GET /api/v1/workers` and of the status document's `workers`. */
export function workerRows(slots: readonly WorkerSlot[]) {
  return slots.map((s) => ({
    index: s.index,
    pid: s.state?.pid ?? s.worker?.process.pid ?? null,
    state: s.worker === undefined ? 'down' : s.state?.draining ? 'draining' : s.state?.ready ? 'ready' : 'starting',
    revision: s.state?.revision ?? 0,
    startedAt: s.startedAt > 0 ? new Date(s.startedAt).toISOString() : null,
    restarts: s.restarts,
  }));
}

/**
 * The one admin listener of a `--workers` instance, in the primary. It answers itself what is about
 * the whole instance — `/healthz`, `/readyz` (ready while at least one worker serves an applied
 * configuration), `/metrics` (summed over the workers), `/api/v1/status` (the first ready worker's
 * document plus every worker's row) and `/api/v1/workers` — and passes everything else (the REST
 * API, the events WebSocket, the dashboard) to the first ready worker's private admin listener.
 * REST writes go to the store either way, and every worker applies them from its watch.
 *
 * The cross-site rules (src/admin/cross-site.ts: Origin, Sec-Fetch-Site, Host without a token, a
 * JSON body type on writes) are applied here, on the public listener, to every `/api/` request
 * and every upgrade, answered or passed on; the pass-through keeps `Host` and `Origin`
 * (changeOrigin off), so the worker's private listener, which checks them again, agrees.
 */
export function createPrimaryAdmin(opts: PrimaryAdminOptions): Server {
  const { pool } = opts;
  const target = (): WorkerSlot | undefined => pool.readyWorkers()[0];
  const proxy = createProxyServer({ xfwd: false, ws: true, changeOrigin: false });
  proxy.on('error', (err, _req, resOrSocket) => {
    opts.logger.debug({ err }, 'admin pass-through to a worker failed');
    if (resOrSocket && 'writeHead' in resOrSocket) {
      const res = resOrSocket as ServerResponse;
      if (!res.headersSent) sendError(res, new HttpError('worker_unavailable', 'the worker answering the admin API went away; retry'));
      else res.destroy();
    } else (resOrSocket as Duplex | undefined)?.destroy();
  });

  const { server, router } = createAdminServer({
    auth: opts.auth,
    registry: opts.metrics.registry,
    logger: opts.logger,
    ready: () => !opts.stopping() && target() !== undefined,
    status: async () => {
      const slot = target();
      const rows = workerRows(pool.slots);
      if (!slot?.channel) {
        return { instance: opts.instanceId, ready: false, draining: opts.stopping(), revision: 0, workers: rows, errors: [] };
      }
      const doc = (await slot.channel.call(WorkerOp.status, null, 5000)) as Record<string, unknown>;
      return { ...doc, draining: opts.stopping() || doc.draining === true, workers: rows };
    },
    scrape: () => scrapeWorkers(pool.slots, opts.metrics),
    fallback: (req: IncomingMessage, res: ServerResponse) => {
      const slot = target();
      if (!slot?.state) return sendError(res, new HttpError('no_worker', 'no worker is ready to answer the admin API yet'));
      proxy.web(req, res, { target: `http://127.0.0.1:${slot.state.adminPort}` });
    },
  });
  router.on('GET', '/api/v1/workers', (_req, res) => sendJson(res, 200, { instance: opts.instanceId, workers: workerRows(pool.slots) }));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    // the origin rules hold here, on the listener clients reach (the worker checks the same headers again)
    const foreign = crossSiteRefusal(req, { tokenSet: opts.auth.enabled });
    if (foreign) return sendErrorOnSocket(socket, foreign);
    const slot = target();
    if (!slot?.state) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    proxy.ws(req, socket, head, { target: `http://127.0.0.1:${slot.state.adminPort}` });
  });
  return server;
}
