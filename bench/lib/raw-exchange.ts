/**
 * One probe exchange: exact bytes written on a fresh TCP connection, and everything the server
 * sends back, with when it came and how the connection ended. Responses are framed as a client
 * must frame them (RFC 9112 section 6.3): 1xx, 204 and 304 have no body whatever their
 * Content-Length says; after a 101 the rest is the tunnel's.
 */
import { connect } from 'node:net';

export interface ResponseHead {
  readonly statusLine: string;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  /** ms from the connect to the arrival of this head */
  readonly atMs: number;
}

export type EndReason =
  /** the server closed the connection (FIN) */
  | 'closed'
  /** the server reset it */
  | 'reset'
  /** silent for `idleMs` after a final response: the probe closed it (the server kept it open) */
  | 'kept-open'
  /** the probe's deadline came first */
  | 'deadline'
  /** could not connect */
  | 'refused';

export interface Exchange {
  readonly responses: readonly ResponseHead[];
  readonly end: EndReason;
  /** ms from the connect to the end */
  readonly endMs: number;
  /** bytes received in all */
  readonly bytes: number;
  /** the first 4 KiB received (latin1) */
  readonly raw: string;
}

export interface ExchangeOptions {
  readonly port: number;
  readonly bytes: string;
  /** give up after this long (ms) */
  readonly deadlineMs: number;
  /** after a final response, stop once the server has been silent this long; undefined: wait for close or the deadline */
  readonly idleMs: number | undefined;
}

interface Parsed {
  readonly heads: { statusLine: string; status: number; headers: [string, string][] }[];
  /** a final response (>= 200, or 101) was read to its end */
  readonly finalDone: boolean;
}

function parseHeaders(lines: readonly string[]): [string, string][] {
  return lines.filter((l) => l !== '').map((l) => {
    const c = l.indexOf(':');
    return c < 0 ? [l, ''] : [l.slice(0, c), l.slice(c + 1).trim()];
  });
}

/** Every response head in `raw`, and whether the last final response is complete. */
export function parseResponses(raw: string): Parsed {
  const heads: Parsed['heads'] = [];
  let i = 0;
  let finalDone = false;
  while (i < raw.length) {
    const end = raw.indexOf('\r\n\r\n', i);
    if (end < 0) break;
    const lines = raw.slice(i, end).split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
    if (!m) break;
    const status = Number(m[1]);
    const headers = parseHeaders(lines.slice(1));
    heads.push({ statusLine, status, headers });
    let p = end + 4;
    if (status === 101) return { heads, finalDone: true };
    if (status >= 100 && status < 200) {
      i = p;
      continue;
    }
    const value = (n: string) => headers.find(([k]) => k.toLowerCase() === n)?.[1];
    if (status === 204 || status === 304) finalDone = true;
    else if (/chunked/i.test(value('transfer-encoding') ?? '')) {
      const last = raw.indexOf('\r\n0\r\n\r\n', p - 2);
      finalDone = last >= 0;
      p = finalDone ? last + 7 : raw.length;
    } else if (value('content-length') !== undefined) {
      const n = Number(value('content-length'));
      finalDone = raw.length >= p + n;
      p = Math.min(raw.length, p + n);
    } else {
      finalDone = false; // read to the close
      p = raw.length;
    }
    i = p;
  }
  return { heads, finalDone };
}

export function exchange(o: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    const socket = connect(o.port, '127.0.0.1');
    let raw = '';
    const responses: ResponseHead[] = [];
    let connected = false;
    let settled = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (end: EndReason) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(idle);
      socket.destroy();
      resolve({ responses, end, endMs: since(), bytes: raw.length, raw: raw.slice(0, 4096) });
    };
    const deadline = setTimeout(() => finish('deadline'), o.deadlineMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      connected = true;
      socket.write(o.bytes, 'latin1');
    });
    socket.on('data', (d: string) => {
      raw += d;
      const parsed = parseResponses(raw);
      for (const h of parsed.heads.slice(responses.length)) responses.push({ ...h, atMs: since() });
      clearTimeout(idle);
      if (parsed.finalDone && o.idleMs !== undefined) idle = setTimeout(() => finish('kept-open'), o.idleMs);
    });
    socket.on('end', () => finish('closed'));
    socket.on('error', (err: NodeJS.ErrnoException) => finish(!connected ? 'refused' : err.code === 'ECONNRESET' ? 'reset' : 'closed'));
    socket.on('close', () => finish('closed'));
  });
}
