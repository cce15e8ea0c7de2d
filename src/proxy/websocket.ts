import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { createProxyServer, type ProxyServer } from 'http-proxy-3';
import type { JunctionError } from '../errors/junction-error.js';
import { ProxyError } from '../errors/proxy-errors.js';
import { normalizePath } from '../routing/normalize-path.js';
import { forwardedOf } from './forwarded.js';
import { connectionNamed } from './hop-by-hop.js';
import type { ProxyDeps } from './proxy-deps.js';
import { requestIdOf } from './request-id.js';
import { classifyUpstreamError } from './upstream-errors.js';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port'];

export interface WebSocketProxy {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/**
 * WebSocket upgrades on the same routes as plain requests, piped by http-proxy-3's `ws()`.
 * Junction cleans the headers itself (http-proxy-3 would append to client-sent X-Forwarded-*),
 * always handles the proxy's `error` event (without a listener it throws), and gives upgraded
 * sockets the backend's idle timeout, which http-proxy-3 does not.
 */
export function createWebSocketProxy(deps: ProxyDeps): WebSocketProxy {
  const proxy: ProxyServer = createProxyServer({ xfwd: false, ws: true, changeOrigin: false });
  proxy.on('error', (err) => deps.logger.debug({ err }, 'websocket proxy error'));
  const sockets = new Set<Duplex>();

  function reject(socket: Duplex, err: JunctionError, requestId: string): void {
    const body = JSON.stringify({ error: err.code, message: err.message });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else socket.destroy();
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const start = performance.now();
    const requestId = requestIdOf(req.headers['x-request-id']);
    socket.on('error', () => socket.destroy());
    const graph = deps.switcher.current;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = normalizePath(q === -1 ? url : url.slice(0, q));
    if (graph === undefined || path === undefined) {
      deps.unroutedSeries.record(path === undefined ? 400 : 503, (performance.now() - start) / 1000);
      return reject(socket, path === undefined ? new ProxyError('bad_request', 'the request target is not a valid path') : new ProxyError('not_ready', 'Junction has not applied a configuration yet'), requestId);
    }
    const fwd = forwardedOf(req, deps.trust, deps.proto, req.headers.host, requestId);
    const clientIp = fwd.clientIp;
    const candidate = graph.router.match({ method: req.method ?? 'GET', host: req.headers.host, path, headers: req.headers });
    if (candidate === undefined) {
      deps.unroutedSeries.record(404, (performance.now() - start) / 1000);
      return reject(socket, new ProxyError('no_route', 'no route matches this request'), requestId);
    }
    const route = candidate.value;
    const sink = { setCookie: undefined as string | undefined };
    const target = route.chooser.choose(req.headers, clientIp, sink);
    const backend = target.backend;
    const server = backend.balancer.pick({ headers: req.headers, clientIp });
    if (server === undefined) {
      target.series.record(503, (performance.now() - start) / 1000);
      return reject(socket, new ProxyError('no_server', `backend ${backend.id} has no available server`), requestId);
    }

    const named = connectionNamed(req.headers.connection);
    for (const name of named ?? []) delete req.headers[name];
    for (const name of FORWARDED) delete req.headers[name];
    req.headers['x-forwarded-for'] = fwd.forwardedFor;
    req.headers['x-forwarded-proto'] = fwd.proto;
    if (fwd.host !== undefined) req.headers['x-forwarded-host'] = fwd.host;
    req.headers['x-request-id'] = requestId;
    if (path !== (q === -1 ? url : url.slice(0, q))) req.url = q === -1 ? path : path + url.slice(q);

    const idleMs = backend.config.timeouts.idleMs;
    if ('setTimeout' in socket && typeof socket.setTimeout === 'function') socket.setTimeout(idleMs, () => socket.destroy());
    sockets.add(socket);
    let failed = false;
    socket.once('close', () => {
      sockets.delete(socket);
      if (!failed) target.series.record(101, (performance.now() - start) / 1000);
    });
    proxy.ws(req, socket, head, { target: server.upstream.origin }, (err: Error) => {
      failed = true;
      const { kind, error } = classifyUpstreamError(err);
      deps.metrics.upstreamErrors.labels(backend.id, kind).inc();
      target.series.record(error.status, (performance.now() - start) / 1000);
      reject(socket, error, requestId);
    });
  }

  return {
    handleUpgrade,
    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      proxy.close();
    },
  };
}
