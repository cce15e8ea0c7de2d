import { IsoTime } from './iso-time.js';

/** One finished request, as the access log records it. */
export interface AccessRecord {
  readonly reqId: string;
  readonly ip: string;
  readonly method: string | undefined;
  readonly host: string | undefined;
  /** `http/1.1` or `h2` */
  readonly protocol: string;
  readonly url: string | undefined;
  readonly status: number;
  readonly ms: number;
  readonly route: string | undefined;
  readonly backend: string | undefined;
  readonly server: string | undefined;
  readonly detail: string | undefined;
}

/** Where log lines go: pino's SonicBoom destination (buffered, asynchronous). */
export interface LineSink {
  write(line: string): unknown;
}

/**
 * The access log: one JSON line per request, written to the same buffered destination as the
 * process log (so lines never interleave). The line is assembled directly rather than through a
 * logger: it is the hot path's only per-request I/O, and measured here pino's generic serializer
 * and a fresh ISO timestamp per line cost more than the rest of the request's bookkeeping together.
 * Same shape as pino's lines, `time` included (ISO 8601 UTC with milliseconds, as the process log):
 * `{"level":"info","time":"2025-01-31T12:34:56.789Z","log":"access",...}`. The formatted second is
 * cached ({@link IsoTime}), so the ISO time costs about as much as epoch ms did (`bench/access-log.ts`).
 */
export class AccessLog {
  readonly #time = new IsoTime();

  /** `now`: the clock, epoch ms (tests pass their own) */
  constructor(
    private readonly sink: LineSink,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Only what a client can influence (request id, address — from X-Forwarded-For behind a trusted
   * proxy —, Host, URL) is checked for characters to escape. The rest cannot need escaping: the method
   * (llhttp accepts only known method names), ids validated as `^[a-z0-9][a-z0-9_.-]*$`, and
   * Junction's own error codes.
   */
  record(r: AccessRecord): void {
    let line =
      `{"level":"info","time":"${this.#time.format(this.now())}","log":"access","reqId":${quote(r.reqId)},"ip":${quote(r.ip)}` +
      `,"method":${r.method === undefined ? 'null' : `"${r.method}"`},"host":${str(r.host)},"url":${str(r.url)},"protocol":"${r.protocol}","status":${r.status},"ms":${Math.round(r.ms * 100) / 100}`;
    if (r.route !== undefined) line += `,"route":"${r.route}"`;
    if (r.backend !== undefined) line += `,"backend":"${r.backend}"`;
    if (r.server !== undefined) line += `,"server":"${r.server}"`;
    if (r.detail !== undefined) line += `,"detail":"${r.detail}"`;
    this.sink.write(line + '}\n');
  }
}

/** Characters a JSON string cannot hold raw (header and URL strings from Node are latin1: no lone surrogates). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f]/;

/** A JSON string literal; JSON.stringify only when something needs escaping (measured: most of the line's cost). */
function quote(v: string): string {
  return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
}

function str(v: string | undefined): string {
  return v === undefined ? 'null' : quote(v);
}
