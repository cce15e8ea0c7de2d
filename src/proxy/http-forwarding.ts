import type { IncomingMessage } from 'node:http';
import type { Admitted, Forwarding } from '../admission/forwarding.js';
import { Exchange } from './exchange.js';
import type { ProxyDeps } from './proxy-deps.js';

/**
 * Forwarding over HTTP: the route's tees are offered a copy, then an Exchange takes the request to
 * the picked server through undici and streams the answer back.
 */
export function httpForwarding(deps: ProxyDeps): Forwarding {
  return {
    forward(ad: Admitted): void {
      const { req, requestId, clientIp } = ad.arrival;
      const body = hasBody(req);
      const tees = ad.route.tees;
      // Copies go out first, in this same tick (a body copy must start listening before undici
      // starts reading the request for the primary); nothing here waits for the shadow.
      const tap = tees === undefined ? undefined : tees.offer({ req, requestId, clientIp, headers: ad.headers, path: ad.path, hasBody: body });
      new Exchange(ad, body, tap, deps).start();
    },
  };
}

/**
 * Whether the request has a body to stream: HTTP/1.1, a Content-Length other than 0 or a
 * Transfer-Encoding; HTTP/2, a stream the client did not end with its headers.
 */
export function hasBody(req: IncomingMessage): boolean {
  const stream = (req as { stream?: { endAfterHeaders: boolean } }).stream;
  if (stream !== undefined) return !stream.endAfterHeaders;
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}
