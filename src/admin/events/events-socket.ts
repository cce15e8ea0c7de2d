import { sendErrorOnSocket } from '../../errors/error-response.js';
import { HttpError } from '../../errors/junction-error.js';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { JunctionEvents } from '../../observability/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AdminAuth } from '../auth.js';
import { crossSiteRefusal } from '../cross-site.js';
import { TrafficDigest } from './traffic-digest.js';

export const EVENTS_PATH = '/api/v1/events';
/** The subprotocol clients should offer besides `bearer.<token>`; the server selects it. */
export const EVENTS_PROTOCOL = 'junction.v1';

export interface EventsSocketOptions {
  readonly events: JunctionEvents;
  readonly auth: AdminAuth;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** what the `hello` message carries (instance, revision) */
  readonly hello: () => Record<string, unknown>;
  /** ping period; a peer that did not answer the previous ping is dropped (default 15 s) */
  readonly heartbeatMs?: number;
  /** period of the `stats` digest (default 1 s) */
  readonly digestMs?: number;
  /** a client whose unsent backlog exceeds this is dropped as too slow (default 1 MiB) */
  readonly maxBufferedBytes?: number;
}

interface Client {
  readonly ws: WebSocket;
  alive: boolean;
}

/**
 * `GET /api/v1/events`: a WebSocket that streams Junction's events (every JunctionEvent as
 * `{type, at, ...}`), a `stats` digest per interval, and a `hello` on connect. The origin rules
 * (src/admin/cross-site.ts, 403) and auth (401) are checked before the upgrade. Clients only listen: incoming messages are
 * ignored and capped at 4 KiB. Compression is off; slow clients (backlog above the cap) and dead
 * peers (no pong to the previous ping) are dropped.
 */
export class EventsSocket {
  readonly #opts: EventsSocketOptions;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  readonly #digest: TrafficDigest;
  readonly #unsubscribe: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #digestTimer: NodeJS.Timeout | undefined;
  #digesting = false;
  #closed = false;

  constructor(server: Server, opts: EventsSocketOptions) {
    this.#opts = opts;
    this.#digest = new TrafficDigest(opts.metrics);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: 4096,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => pickProtocol(protocols),
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#unsubscribe = opts.events.on((event) => this.broadcast({ ...event, at: new Date().toISOString() }));
    this.#heartbeat = setInterval(() => this.#ping(), opts.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Sends one message to every client; a client too far behind is dropped instead. */
  broadcast(message: { readonly type: string } & Record<string, unknown>): void {
    if (this.#clients.size === 0) return;
    const text = JSON.stringify(message);
    const max = this.#opts.maxBufferedBytes ?? 1024 * 1024;
    for (const c of this.#clients) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.ws.bufferedAmount > max) {
        this.#opts.logger.warn({ bufferedAmount: c.ws.bufferedAmount }, 'events client too slow: dropped');
        this.#drop(c);
        continue;
      }
      c.ws.send(text);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    clearInterval(this.#heartbeat);
    this.#stopDigest();
    for (const c of this.#clients) c.ws.close(1001, 'junction is shutting down');
    const left = [...this.#clients];
    setTimeout(() => left.forEach((c) => c.ws.terminate()), 500).unref();
    this.#clients.clear();
    this.#wss.close();
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let path: string;
    try {
      path = new URL(req.url ?? '/', 'http://admin').pathname;
    } catch {
      return sendErrorOnSocket(socket, new HttpError('bad_request', 'malformed request target'));
    }
    if (path !== EVENTS_PATH) return sendErrorOnSocket(socket, new HttpError('not_found', `no WebSocket endpoint ${path}`));
    if (this.#closed) return sendErrorOnSocket(socket, new HttpError('shutting_down', 'junction is shutting down'));
    // a browser sends Origin with every WebSocket: a page elsewhere must not read the events
    const foreign = crossSiteRefusal(req, { tokenSet: this.#opts.auth.enabled });
    if (foreign) return sendErrorOnSocket(socket, foreign);
    if (!this.#opts.auth.allows(req)) {
      return sendErrorOnSocket(socket, new HttpError('unauthorized', 'send "Authorization: Bearer <token>" or the subprotocol bearer.<token>'), [
        'www-authenticate',
        'Bearer realm="junction"',
      ]);
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    if (this.#closed) return ws.terminate();
    const client: Client = { ws, alive: true };
    this.#clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', () => undefined);
    ws.on('error', () => this.#drop(client));
    ws.on('close', () => this.#forget(client));
    ws.send(JSON.stringify({ type: 'hello', at: new Date().toISOString(), protocol: EVENTS_PROTOCOL, digestMs: this.#digestMs, ...this.#opts.hello() }));
    if (this.#clients.size === 1) this.#startDigest();
  }

  get #digestMs(): number {
    return this.#opts.digestMs ?? 1000;
  }

  #ping(): void {
    for (const c of this.#clients) {
      if (!c.alive) {
        this.#opts.logger.info('events client did not answer a ping: dropped');
        this.#drop(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  #drop(c: Client): void {
    c.ws.terminate();
    this.#forget(c);
  }

  #forget(c: Client): void {
    if (!this.#clients.delete(c)) return;
    if (this.#clients.size === 0) this.#stopDigest();
  }

  #startDigest(): void {
    if (this.#digestTimer) return;
    const baseline = this.#digest.baseline().catch(() => undefined);
    this.#digestTimer = setInterval(() => {
      if (this.#digesting) return;
      this.#digesting = true;
      baseline
        .then(() => this.#digest.next(this.#digestMs))
        .then((m) => this.broadcast({ ...m }))
        .catch((err: unknown) => this.#opts.logger.warn({ err }, 'events digest failed'))
        .finally(() => (this.#digesting = false));
    }, this.#digestMs);
    this.#digestTimer.unref();
  }

  #stopDigest(): void {
    if (this.#digestTimer) clearInterval(this.#digestTimer);
    this.#digestTimer = undefined;
  }
}

/** Prefer the named protocol; a browser that offered only `bearer.<token>` must get one back or it fails the handshake. */
function pickProtocol(protocols: Set<string>): string | false {
  if (protocols.has(EVENTS_PROTOCOL)) return EVENTS_PROTOCOL;
  for (const p of protocols) if (!p.startsWith('bearer.')) return p;
  const first = protocols.values().next();
  return first.done ? false : first.value;
}
