import { connect } from 'node:net';
import { request } from 'undici';

/** The text of the admin listener's /metrics. */
export async function metricsText(adminUrl: string): Promise<string> {
  const r = await request(`${adminUrl}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
  return r.body.text();
}

/**
 * The value of one Prometheus series, or undefined when it is absent. `labels` must all match
 * (other labels of the series are allowed).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    let labelText = '';
    let valueText: string;
    if (rest.startsWith('{')) {
      const end = rest.indexOf('}');
      if (end < 0) continue;
      labelText = rest.slice(1, end);
      valueText = rest.slice(end + 1).trim();
    } else if (rest.startsWith(' ')) {
      valueText = rest.trim();
    } else continue;
    const have: Record<string, string> = {};
    for (const m of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have[m[1] as string] = m[2] as string;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(valueText.split(' ')[0]);
  }
  return undefined;
}

export async function metric(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return metricValue(await metricsText(adminUrl), name, labels);
}

/** GET /healthz on the admin listener: the process is alive and serving its admin API. */
export async function healthz(adminUrl: string): Promise<number> {
  const r = await request(`${adminUrl}/healthz`, { headersTimeout: 5000, bodyTimeout: 5000 });
  await r.body.dump();
  return r.statusCode;
}

/**
 * Writes raw bytes on a fresh TCP connection and collects everything the server sends until it
 * closes the connection, or until it has been silent for `idleMs` (then the socket is destroyed).
 */
export function rawExchange(port: number, data: string | Buffer | readonly (string | Buffer)[], idleMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const parts = Array.isArray(data) ? data : [data];
    let out = '';
    let idle: NodeJS.Timeout | undefined;
    const s = connect(port, '127.0.0.1', () => {
      for (const p of parts) s.write(p);
    });
    const arm = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => s.destroy(), idleMs);
    };
    arm();
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
      arm();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (idle) clearTimeout(idle);
      resolve(out);
    });
  });
}

/** One HTTP/1.x response parsed out of a raw byte stream. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Parses every complete response in a raw HTTP/1.x byte stream (latin1), framed by
 * Content-Length or chunked encoding; a response without either runs to the end of the stream.
 */
export function responsesOf(raw: string): RawResponse[] {
  const out: RawResponse[] = [];
  let i = 0;
  while (i < raw.length) {
    const headEnd = raw.indexOf('\r\n\r\n', i);
    if (headEnd < 0) break;
    const lines = raw.slice(i, headEnd).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const c = line.indexOf(':');
      if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
    }
    let p = headEnd + 4;
    let body = '';
    if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', p);
        if (lineEnd < 0) {
          p = raw.length;
          break;
        }
        const size = parseInt(raw.slice(p, lineEnd), 16);
        p = lineEnd + 2;
        if (!Number.isFinite(size) || size === 0) {
          const trailerEnd = raw.indexOf('\r\n', p);
          p = trailerEnd < 0 ? raw.length : trailerEnd + 2;
          break;
        }
        body += raw.slice(p, p + size);
        p += size + 2;
      }
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      body = raw.slice(p, p + n);
      p += n;
    } else {
      body = raw.slice(p);
      p = raw.length;
    }
    out.push({ status: Number(m[1]), headers, body });
    i = p;
  }
  return out;
}

/** The status codes of every response in a raw HTTP/1.x byte stream, in order. */
export function statusesOf(raw: string): number[] {
  return responsesOf(raw).map((r) => r.status);
}

export function pct(n: number, d: number): string {
  return d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(3)}%`;
}
