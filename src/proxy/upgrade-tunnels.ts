import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { CLIENT_CLOSED } from '../admission/arrival.js';
import type { Admitted, Forwarding } from '../admission/forwarding.js';
import { downstreamHeaders } from '../http/header-policy.js';
import type { ProxyDeps } from './proxy-deps.js';
import { classifyUpstreamError, countsAsUnreachable } from './upstream-errors.js';

/**
 * Forwarding for WebSocket upgrades: the admitted request goes to the picked server on a
 * connection of its own (node:http), with the same header policy as any request plus the upgrade
 * pair. A `101` is relayed with the sticky cookie and the two sockets are piped, each with the
 * backend's idle timeout; any other answer is relayed as a plain response (the upstream refused
 * the upgrade) and the connection closes. A failure before the answer is mapped like any
 * upstream failure (502/504) and counts against the server's passive health.
 *
 * Written on node:http rather than http-proxy-3's `ws()`: that writes the upstream's `101` and
 * refusals verbatim, so neither the sticky cookie nor the downstream header policy could apply.
 */
export class UpgradeTunnels {
  readonly #open = new Set<Socket>();

  constructor(private readonly deps: ProxyDeps) {}

  /** how many tunnels are open */
  get size(): number {
    return this.#open.size;
  }

  /** The forwarding for one upgrade request arriving on `socket` (`head`: bytes read past its head). */
  forwarding(socket: Socket, head: Buffer): Forwarding {
    return { forward: (ad) => this.#connect(ad, socket, head) };
  }

  /** Cuts every open tunnel (shutdown, once requests have drained). */
  close(): void {
    for (const s of this.#open) s.destroy();
    this.#open.clear();
  }

  #connect(ad: Admitted, socket: Socket, head: Buffer): void {
    const { arrival: a, route, target, server } = ad;
    const backend = target.backend;
    const origin = new URL(server.upstream.origin);
    const tls = origin.protocol === 'https:';
    const upgrade = a.req.headers.upgrade ?? 'websocket';
    const request = (tls ? httpsRequest : httpRequest)({
      host: origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname,
      port: origin.port === '' ? (tls ? 443 : 80) : Number(origin.port),
      method: a.req.method,
      path: ad.path,
      headers: [...ad.headers, 'connection', 'upgrade', 'upgrade', upgrade],
      agent: false,
      // the backend's CA, verification, client certificate and TLS name, as its pool uses them
      // (without a servername, node:https would send and check the request's Host)
      ...(tls ? server.upstream.tls?.connect : undefined),
    });
    let answered = false;
    // No answer head in time: the same failure as undici's headers timeout (504).
    const timer = setTimeout(
      () => request.destroy(Object.assign(new Error('the upstream did not answer the upgrade in time'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
      backend.headersTimeoutMs,
    );
    const settle = (): boolean => {
      if (answered) return false;
      answered = true;
      clearTimeout(timer);
      socket.off('close', onClientGone);
      return true;
    };
    const onClientGone = (): void => {
      if (!settle()) return;
      request.destroy();
      a.end(CLIENT_CLOSED, route, target, server);
    };
    socket.once('close', onClientGone);

    request.on('upgrade', (upRes: IncomingMessage, upSocket: Socket, upHead: Buffer) => {
      if (!settle()) return void upSocket.destroy();
      server.health?.record(true);
      const headers = downstreamHeaders(upRes.rawHeaders, a.requestId);
      headers.push('connection', 'upgrade', 'upgrade', upRes.headers.upgrade ?? upgrade);
      if (a.setCookie !== undefined) headers.push('set-cookie', a.setCookie);
      a.res.detachSocket(socket);
      let head101 = 'HTTP/1.1 101 Switching Protocols\r\n';
      for (let i = 0; i < headers.length; i += 2) head101 += `${headers[i]}: ${headers[i + 1]}\r\n`;
      socket.write(head101 + '\r\n');
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      a.release();
      this.#pipe(socket, upSocket, backend.config.timeouts.idleMs, () => a.end(101, route, target, server));
    });

    request.on('response', (upRes: IncomingMessage) => {
      if (!settle()) return void upRes.destroy();
      server.health?.record(true);
      const res = a.res;
      const status = upRes.statusCode ?? 502;
      const headers = downstreamHeaders(upRes.rawHeaders, a.requestId);
      if (a.setCookie !== undefined) headers.push('set-cookie', a.setCookie);
      res.writeHead(status, upRes.statusMessage, headers);
      upRes.pipe(res);
      upRes.once('error', () => res.destroy());
      res.once('close', () => a.end(res.writableFinished ? status : CLIENT_CLOSED, route, target, server));
    });

    request.on('error', (err) => {
      if (!settle()) return;
      const { kind, error } = classifyUpstreamError(err);
      if (kind !== 'local') server.health?.record(!countsAsUnreachable(kind));
      this.deps.metrics.upstreamErrors.labels(backend.id, kind).inc();
      a.fail(error, route, target, server, kind);
    });
    request.end();
  }

  /** Pipes the two sockets both ways until either closes; `closed` runs once, when the client's side is gone. */
  #pipe(client: Socket, upstream: Socket, idleMs: number, closed: () => void): void {
    this.#open.add(client);
    for (const [s, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      s.setNoDelay(true);
      s.setTimeout(idleMs, () => s.destroy());
      s.on('error', () => s.destroy());
      // a clean close lets what is queued for the other side go out first
      s.once('close', () => other.destroySoon());
    }
    client.once('close', () => {
      this.#open.delete(client);
      closed();
    });
    upstream.pipe(client);
    client.pipe(upstream);
  }
}
