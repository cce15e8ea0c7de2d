import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { admit } from '../admission/admit.js';
import { sendError } from '../errors/error-response.js';
import { HttpError } from '../errors/junction-error.js';
import { hasBody, httpForwarding } from './http-forwarding.js';
import type { ProxyDeps } from './proxy-deps.js';
import { UpgradeTunnels } from './upgrade-tunnels.js';

/** The proxy listener's two ways in, both through the one admission path. */
export interface ProxyHandler {
  /** a plain request (`request` event) */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** a request with `Connection: upgrade` (`upgrade` event) */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** cuts the open WebSocket tunnels */
  close(): void;
}

const UPGRADE_WITH_BODY = new HttpError('bad_request', 'a request that asks for a protocol upgrade cannot have a body');

/**
 * Every request is admitted the same way (admit.ts); only forwarding differs: HTTP through undici,
 * a WebSocket upgrade through a tunnel. An upgrade is answered through a `ServerResponse` on its
 * socket until it is established, so a refusal (no route, a filter's reply, no server, an upstream
 * failure) is the same response a plain request would get, after which the connection closes.
 * An `Upgrade` other than `websocket` (h2c, ...) is not forwarded: the request is answered as a
 * plain one, as nginx and Envoy do with upgrades they are not configured for.
 */
export function createProxyHandler(deps: ProxyDeps): ProxyHandler {
  const http = httpForwarding(deps);
  const tunnels = new UpgradeTunnels(deps);
  return {
    request(req, res) {
      admit(deps, req, res, http);
    },
    upgrade(req, duplex, head) {
      const socket = duplex as Socket;
      socket.on('error', () => socket.destroy());
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.once('finish', () => socket.destroySoon());
      if (isWebSocket(req)) return admit(deps, req, res, tunnels.forwarding(socket, head));
      // the parser stopped at the head: a body would have to be read off the raw socket
      if (hasBody(req)) {
        sendError(res, UPGRADE_WITH_BODY);
        deps.unroutedSeries.record(UPGRADE_WITH_BODY.status, 0);
        return;
      }
      admit(deps, req, res, http);
    },
    close() {
      tunnels.close();
    },
  };
}

function isWebSocket(req: IncomingMessage): boolean {
  return req.method === 'GET' && req.headers.upgrade?.toLowerCase() === 'websocket';
}
