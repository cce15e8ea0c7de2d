/**
 * Child process: a minimal undici forwarder — one Pool to the upstream, `pool.dispatch`,
 * hop-by-hop headers (and those named in Connection) stripped both ways, bodies streamed,
 * client abort cancels the upstream request. No routing, metrics or logs.
 * Args: --target URL
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { argValue, exitWithParent, reportReady } from '../lib/child-ipc.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host',
]);

function strip(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = typeof headers.connection === 'string' ? headers.connection.toLowerCase().split(',').map((s) => s.trim()) : [];
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

function forward(pool: Pool, req: IncomingMessage, res: ServerResponse): void {
  const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  let controller: Dispatcher.DispatchController | undefined;
  res.on('close', () => {
    if (!res.writableFinished) controller?.abort(new Error('client closed'));
  });
  res.on('drain', () => controller?.resume());
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
    },
    onResponseStart(c, statusCode, headers) {
      res.writeHead(statusCode, strip(headers));
    },
    onResponseData(c, chunk) {
      if (!res.write(chunk)) c.pause();
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError(_c, err) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'upstream_error', message: err.message }));
      } else {
        res.destroy(err);
      }
    },
  };
  pool.dispatch({ method, path: req.url ?? '/', headers: strip(req.headers), body: hasBody ? req : null }, handler);
}

function main(argv: readonly string[]): void {
  const target = argValue(argv, 'target');
  const pool = new Pool(target, { connections: 128, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000, connectTimeout: 2000 });
  const server = createServer((req, res) => forward(pool, req, res));
  server.keepAliveTimeout = 65_000;
  exitWithParent(() => server.closeAllConnections());
  server.listen(0, '127.0.0.1', () => reportReady((server.address() as AddressInfo).port));
}

main(process.argv.slice(2));
