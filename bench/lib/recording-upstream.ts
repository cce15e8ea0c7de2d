/**
 * The bad-input probe's upstream: a raw `net` server on 127.0.0.1 that keeps the exact bytes of
 * every request a proxy sends it (head as sent, body as far as it arrived) and answers by path:
 *
 * | path | answer |
 * | --- | --- |
 * | `/slow-answer`, `/ws-hang` | nothing, ever (the connection stays open) |
 * | `/early-hints` | `103 Early Hints` with a `Link` header, then 200 |
 * | `/continue` | an unsolicited `100 Continue`, then 200 |
 * | `/no-content` | `204` with `Content-Length: 5` (and no body) |
 * | `/not-modified` | `304` with `Content-Length: 5` (and no body) |
 * | `/ws` with `Upgrade: websocket` | `101 Switching Protocols`, then the socket is left idle |
 * | anything else | 200 `ok\n` |
 *
 * A plain answer is sent once the request's body has fully arrived; a request the upstream cannot
 * frame (no head end, a bad chunk) is recorded as far as it got and the connection is closed.
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface UpstreamRequest {
  /** the connection it came on (1, 2, ... in accept order) */
  readonly conn: number;
  /** ms since the upstream started, when the head had arrived */
  readonly atMs: number;
  /** the head exactly as received, request line to the blank line (latin1) */
  readonly head: string;
  readonly requestLine: string;
  /** every header line, in order, as [name, value] (name as sent) */
  readonly headers: readonly (readonly [string, string])[];
  /** body bytes received so far (the first 4 KiB are kept in `body`) */
  bodyBytes: number;
  body: string;
  /** the whole body (by its framing) arrived */
  complete: boolean;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_HEAD = 1 << 20;
const KEEP_BODY = 4096;

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n';
const ANSWERS: Readonly<Record<string, string | undefined>> = {
  '/early-hints': `HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n${OK}`,
  '/continue': `HTTP/1.1 100 Continue\r\n\r\n${OK}`,
  '/no-content': 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n',
  '/not-modified': 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n',
};
const SILENT = new Set(['/slow-answer', '/ws-hang']);

export function headerValues(r: Pick<UpstreamRequest, 'headers'>, name: string): string[] {
  const lower = name.toLowerCase();
  return r.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

function pathOf(requestLine: string): string {
  const target = requestLine.split(' ')[1] ?? '';
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/[^?]*)?/i.exec(target)?.[1] ?? target.split('?')[0] ?? '';
  return path;
}

function parseHead(head: string): Pick<UpstreamRequest, 'requestLine' | 'headers'> {
  const lines = head.split('\r\n');
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const c = line.indexOf(':');
    headers.push(c < 0 ? [line, ''] : [line.slice(0, c), line.slice(c + 1).trim()]);
  }
  return { requestLine: lines[0] ?? '', headers };
}

/** Body framing of one request: a byte count, chunked, or none. */
type Framing = { kind: 'length'; left: number } | { kind: 'chunked'; buf: string } | { kind: 'none' };

function framingOf(r: UpstreamRequest): Framing {
  const te = headerValues(r, 'transfer-encoding').join(',').toLowerCase();
  if (te.includes('chunked')) return { kind: 'chunked', buf: '' };
  const cl = headerValues(r, 'content-length')[0];
  const n = cl === undefined ? 0 : Number(cl);
  return Number.isInteger(n) && n > 0 ? { kind: 'length', left: n } : { kind: 'none' };
}

/** Feeds body text to a chunked framing; returns [bytes consumed, done]. undefined: unparseable. */
function feedChunked(f: { buf: string }, data: string): [number, boolean] | undefined {
  const start = f.buf.length;
  f.buf += data;
  let p = 0;
  for (;;) {
    const eol = f.buf.indexOf('\r\n', p);
    if (eol < 0) return [data.length, false];
    const size = parseInt(f.buf.slice(p, eol), 16);
    if (!Number.isFinite(size) || size < 0) return undefined;
    if (size === 0) {
      const end = f.buf.indexOf('\r\n\r\n', eol);
      if (end < 0) return [data.length, false];
      return [end + 4 - start, true];
    }
    if (f.buf.length < eol + 2 + size + 2) return [data.length, false];
    p = eol + 2 + size + 2;
  }
}

export class RecordingUpstream {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #t0 = performance.now();
  #log: UpstreamRequest[] = [];
  #conns = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<RecordingUpstream> {
    const server = createServer();
    const up = new RecordingUpstream(server);
    server.on('connection', (s) => up.#serve(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return up;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The requests recorded since the last call, oldest first. */
  take(): UpstreamRequest[] {
    const out = this.#log;
    this.#log = [];
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    const conn = ++this.#conns;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setEncoding('latin1');
    let buf = '';
    let current: { req: UpstreamRequest; framing: Framing } | undefined;
    let stopped = false; // upgraded, silent or unparseable: record nothing more on this connection
    socket.on('data', (data: string) => {
      if (stopped) return;
      buf += data;
      while (!stopped && buf.length > 0) {
        if (current === undefined) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buf.length > MAX_HEAD) socket.destroy();
            return;
          }
          const head = buf.slice(0, end + 4);
          buf = buf.slice(end + 4);
          const req: UpstreamRequest = { conn, atMs: Math.round(performance.now() - this.#t0), head, ...parseHead(head), bodyBytes: 0, body: '', complete: false };
          this.#log.push(req);
          current = { req, framing: framingOf(req) };
        }
        const { req, framing } = current;
        let used = 0;
        let done = false;
        if (framing.kind === 'none') done = true;
        else if (framing.kind === 'length') {
          used = Math.min(framing.left, buf.length);
          framing.left -= used;
          done = framing.left === 0;
        } else {
          const r = feedChunked(framing, buf);
          if (r === undefined) {
            stopped = true;
            socket.destroy();
            return;
          }
          [used, done] = r;
        }
        if (req.body.length < KEEP_BODY) req.body += buf.slice(0, Math.min(used, KEEP_BODY - req.body.length));
        req.bodyBytes += used;
        buf = buf.slice(used);
        if (!done) return;
        req.complete = true;
        current = undefined;
        stopped = this.#answer(socket, req);
      }
    });
  }

  /** Writes the answer for a complete request; true when nothing more is read on this socket. */
  #answer(socket: Socket, req: UpstreamRequest): boolean {
    const path = pathOf(req.requestLine);
    if (SILENT.has(path)) return true;
    const key = headerValues(req, 'sec-websocket-key')[0];
    if (path === '/ws' && key !== undefined && /websocket/i.test(headerValues(req, 'upgrade').join(','))) {
      const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      return true;
    }
    socket.write(ANSWERS[path] ?? OK, 'latin1');
    const close = /\bclose\b/i.test(headerValues(req, 'connection').join(',')) || /HTTP\/1\.0$/.test(req.requestLine);
    if (close) socket.end();
    return close;
  }
}
