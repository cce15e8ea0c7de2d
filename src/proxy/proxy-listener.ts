import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from '../http/server-lifecycle.js';
import { MAX_REQUEST_HEADERS } from '../admission/request-target.js';
import { handleClientError, refuseConnect } from './client-errors.js';
import { createProxyHandler, type ProxyHandler } from './proxy-handler.js';
import type { ProxyDeps } from './proxy-deps.js';

/**
 * The plain HTTP/1.1 proxy listener: a node:http server whose requests and upgrades enter the
 * one admission path, and whose parser refusals get Junction's JSON errors.
 */
export class ProxyListener {
  readonly #server: Server;
  readonly #handler: ProxyHandler;
  readonly #deps: ProxyDeps;

  constructor(deps: ProxyDeps) {
    this.#deps = deps;
    this.#handler = createProxyHandler(deps);
    // headersTimeout is enforced by Node's connection sweep: check every second, not every 30 s.
    // requireHostHeader: false lets admission answer a missing Host with Junction's JSON 400.
    this.#server = createServer(
      { headersTimeout: 20_000, requestTimeout: 0, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000, requireHostHeader: false },
      this.#handler.request,
    );
    // one more than a request may have, so one that has too many is seen (Node drops the rest silently)
    this.#server.maxHeadersCount = MAX_REQUEST_HEADERS + 1;
    this.#server.on('upgrade', this.#handler.upgrade);
    this.#server.on('connect', (_req, socket) => refuseConnect(socket, deps.unroutedSeries));
    this.#server.on('clientError', (err, socket) => handleClientError(err, socket, deps.unroutedSeries));
  }

  listen(at: { host: string; port: number }): Promise<AddressInfo> {
    return listen(this.#server, at, 'proxy');
  }

  /**
   * Graceful: stops accepting, lets in-flight requests finish within `timeoutMs`, then cuts what
   * is left and the open WebSocket tunnels.
   */
  async close(timeoutMs: number): Promise<void> {
    const inFlight = this.#deps.inFlight;
    await closeServer(this.#server, timeoutMs, () => inFlight.count === 0);
    this.#handler.close();
  }
}
