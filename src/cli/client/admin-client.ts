import { isHttpErrorCode } from '../../errors/catalogue.js';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, ExitCode, exitCodeForStatus } from './exit-codes.js';

export interface ClientOptions {
  /** e.g. http://127.0.0.1:9090 */
  readonly adminUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

export interface ApiAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** the mod revision from the ETag, when the answer has one */
  readonly modRevision: number | undefined;
}

interface ErrorBody {
  error?: string;
  message?: string;
  errors?: Array<{ field?: string; message?: string }>;
}

/**
 * The admin API over HTTP for the CLI. Any non-2xx answer becomes a CliError carrying the API's
 * code, its message, one detail line per field error, and the exit code for its status; a
 * connection failure, a timeout or a redirect is `unreachable` (exit 3).
 *
 * It speaks node:http rather than the global fetch: fetch loads Node's bundled undici on first use,
 * which alone took about 200 ms of CPU, more than the rest of a `junction status` run.
 */
export class AdminClient {
  constructor(readonly opts: ClientOptions) {}

  get<T = unknown>(path: string): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path);
  }

  put<T = unknown>(path: string, body: unknown, ifMatch?: number): Promise<ApiAnswer<T>> {
    return this.request<T>('PUT', path, body, ifMatch);
  }

  delete<T = unknown>(path: string, ifMatch?: number): Promise<ApiAnswer<T>> {
    return this.request<T>('DELETE', path, undefined, ifMatch);
  }

  post<T = unknown>(path: string, body: unknown): Promise<ApiAnswer<T>> {
    return this.request<T>('POST', path, body);
  }

  async request<T>(method: string, path: string, body?: unknown, ifMatch?: number): Promise<ApiAnswer<T>> {
    const url = new URL(path, this.opts.adminUrl.endsWith('/') ? this.opts.adminUrl : `${this.opts.adminUrl}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`;
    let res: RawAnswer;
    try {
      res = await send(url, method, headers, body === undefined ? undefined : JSON.stringify(body), this.opts.timeoutMs);
    } catch (err) {
      throw new CliError(ExitCode.unreachable, 'unreachable', `cannot reach the admin API at ${this.opts.adminUrl}: ${reason(err, this.opts.timeoutMs)}`, [], { cause: err });
    }
    const { text } = res;
    const ok = res.status >= 200 && res.status < 300;
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      if (ok && !(header('content-type') ?? '').includes('json')) parsed = text;
      else throw new CliError(ExitCode.unreachable, 'not_junction', `${this.opts.adminUrl} answered ${method} ${url.pathname} with HTTP ${res.status} and no JSON: is it a Junction admin listener?`);
    }
    if (!ok) {
      const e = (parsed ?? {}) as ErrorBody;
      const details = (e.errors ?? []).map((x) => `${x.field ?? '(document)'}: ${x.message ?? 'is invalid'}`);
      const message =
        res.status === 401
          ? 'the admin API refused the token (set --admin-token or JUNCTION_ADMIN_TOKEN)'
          : details.length > 0
            ? `${e.error ?? `HTTP ${res.status}`}: ${details.length} error${details.length === 1 ? '' : 's'}`
            : (e.message ?? `HTTP ${res.status}`);
      throw new CliError(exitCodeForStatus(res.status), isHttpErrorCode(e.error) ? e.error : 'http_error', message, details);
    }
    const etag = header('etag');
    const m = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag) : null;
    return { status: res.status, body: parsed as T, modRevision: m?.[1] === undefined ? undefined : Number(m[1]) };
  }
}

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** One request on a connection of its own (closed after it), the whole exchange within `timeoutMs`. */
function send(url: URL, method: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method, headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false });
    const timer = setTimeout(() => req.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.resume();
        req.destroy(new Error(`it answered HTTP ${status}, a redirect${res.headers.location ? ` to ${res.headers.location}` : ''}: give the admin listener's own URL`));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    req.end(body);
  });
}

function reason(err: unknown, timeoutMs: number): string {
  if (err instanceof TimeoutError) return `no answer within ${timeoutMs} ms`;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
