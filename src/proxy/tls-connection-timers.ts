import type { Socket } from 'node:net';

/** How long the TLS listener lets an HTTP/1.1 connection go without a complete request head, and an HTTP/2 session idle. */
export interface TlsTimeouts {
  /**
   * An HTTP/1.1-over-TLS connection must send a whole request head within this long of its
   * handshake and of each answer's end (the plain listener's `headersTimeout`, which node:http2's
   * HTTP/1.1 fallback does not enforce); default 20 s
   */
  readonly http1HeadMs: number;
  /** an HTTP/2 session with no frames either way for this long is sent GOAWAY; default 120 s */
  readonly h2IdleMs: number;
}

export const DEFAULT_TLS_TIMEOUTS: TlsTimeouts = { http1HeadMs: 20_000, h2IdleMs: 120_000 };

interface Conn {
  timer: NodeJS.Timeout | undefined;
  /** requests of this connection being answered (HTTP/1.1 pipelining: more than one) */
  active: number;
}

/**
 * The HTTP/1.1 connections of the TLS listener, each with a head deadline: armed at the handshake
 * and whenever the connection falls idle after an answer, cleared while a request is answered or
 * once the connection is upgraded (a WebSocket tunnel has its own timeouts). A connection that
 * misses it — a slow or stalled head (slowloris), or an idle keep-alive connection — is closed, as
 * nginx closes on `client_header_timeout` and `keepalive_timeout`.
 */
export class Http1Connections {
  readonly #conns = new Map<Socket, Conn>();

  constructor(private readonly headMs: number) {}

  get sockets(): IterableIterator<Socket> {
    return this.#conns.keys();
  }

  add(socket: Socket): void {
    const conn: Conn = { timer: undefined, active: 0 };
    this.#conns.set(socket, conn);
    this.#arm(socket, conn);
    socket.once('close', () => {
      if (conn.timer) clearTimeout(conn.timer);
      this.#conns.delete(socket);
    });
  }

  /** a request head arrived on `socket`; `finished` fires when its answer is done */
  requestStarted(socket: Socket, finished: (done: () => void) => void): void {
    const conn = this.#conns.get(socket);
    if (conn === undefined) return;
    conn.active++;
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = undefined;
    finished(() => {
      conn.active--;
      if (conn.active === 0 && this.#conns.has(socket)) this.#arm(socket, conn);
    });
  }

  /** the connection became a tunnel: no head is expected any more */
  upgraded(socket: Socket): void {
    const conn = this.#conns.get(socket);
    if (conn?.timer) clearTimeout(conn.timer);
    this.#conns.delete(socket);
  }

  #arm(socket: Socket, conn: Conn): void {
    conn.timer = setTimeout(() => {
      conn.timer = undefined;
      if (conn.active === 0) socket.destroy();
    }, this.headMs);
    conn.timer.unref();
  }
}
