import { isHttpErrorCode } from '../../errors/catalogue.js';
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
 * connection failure or timeout is `unreachable` (exit 3).
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
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'error',
      });
      text = await res.text();
    } catch (err) {
      throw new CliError(ExitCode.unreachable, 'unreachable', `cannot reach the admin API at ${this.opts.adminUrl}: ${reason(err, this.opts.timeoutMs)}`, [], { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      if (res.ok && !(res.headers.get('content-type') ?? '').includes('json')) parsed = text;
      else throw new CliError(ExitCode.unreachable, 'not_junction', `${this.opts.adminUrl} answered ${method} ${url.pathname} with HTTP ${res.status} and no JSON: is it a Junction admin listener?`);
    }
    if (!res.ok) {
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
    const etag = res.headers.get('etag');
    const m = etag ? /^(?:W\/)?"?(\d+)"?$/.exec(etag) : null;
    return { status: res.status, body: parsed as T, modRevision: m?.[1] === undefined ? undefined : Number(m[1]) };
  }
}

function reason(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
