import { Agent, request } from 'undici';

/**
 * A small bounded load generator for fault tests: `workers` loops send requests over one
 * keep-alive undici Agent until `stop()` is called, `durationMs` passes or `maxRequests` were sent.
 * Every request has its own timeout, so a run always ends. It counts statuses, errors (by undici
 * code) and, from the `x-upstream` response header, which upstream answered.
 */
export interface LoadOptions {
  /** base URL of the proxy, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  /** the path of request number i (default `/`) */
  readonly path?: (i: number) => string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** concurrent request loops (default 8) */
  readonly workers?: number;
  /** stop after this long (default 60 s: a safety net; tests usually call stop()) */
  readonly durationMs?: number;
  /** stop after this many requests */
  readonly maxRequests?: number;
  /** per-request timeout for headers and body (default 10 s) */
  readonly timeoutMs?: number;
  /** pause between two requests of one worker (default 0) */
  readonly pauseMs?: number;
  /** a status counts as a success when this says so (default: 2xx) */
  readonly ok?: (status: number) => boolean;
}

export interface LoadFailure {
  /** ms since the load started */
  readonly at: number;
  readonly status?: number;
  readonly error?: string;
  readonly body?: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  /** succeeded / requests (1 when no request was sent) */
  readonly successRate: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  /** answers by their `x-upstream` header ('-' when absent) */
  readonly upstreams: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** the first few failures, for assertion messages */
  readonly failures: readonly LoadFailure[];
}

export interface RunningLoad {
  /** counts so far, while it runs */
  progress(): LoadResult;
  /** resolves once every worker has finished (after stop(), the duration or maxRequests) */
  readonly done: Promise<LoadResult>;
  stop(): Promise<LoadResult>;
}

const MAX_SAMPLES = 20;

export function startLoad(opts: LoadOptions): RunningLoad {
  const workers = opts.workers ?? 8;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const isOk = opts.ok ?? ((s: number) => s >= 200 && s < 300);
  const agent = new Agent({ connections: workers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 2_000 });
  const started = Date.now();
  const deadline = started + (opts.durationMs ?? 60_000);
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const upstreams: Record<string, number> = {};
  const failures: LoadFailure[] = [];
  let requests = 0;
  let succeeded = 0;
  let stopped = false;
  let next = 0;

  const bump = (t: Record<string, number>, k: string) => {
    t[k] = (t[k] ?? 0) + 1;
  };
  const result = (): LoadResult => ({
    requests,
    succeeded,
    failed: requests - succeeded,
    successRate: requests === 0 ? 1 : succeeded / requests,
    statuses: { ...statuses },
    errors: { ...errors },
    upstreams: { ...upstreams },
    elapsedMs: Date.now() - started,
    failures: [...failures],
  });
  const more = () => !stopped && Date.now() < deadline && (opts.maxRequests === undefined || next < opts.maxRequests);

  async function one(i: number): Promise<void> {
    const path = opts.path?.(i) ?? '/';
    try {
      const res = await request(`${opts.url}${path}`, {
        dispatcher: agent,
        method: (opts.method ?? 'GET') as 'GET',
        headers: opts.headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await res.body.text();
      requests++;
      bump(statuses, String(res.statusCode));
      const up = res.headers['x-upstream'];
      bump(upstreams, typeof up === 'string' ? up : '-');
      if (isOk(res.statusCode)) succeeded++;
      else if (failures.length < MAX_SAMPLES) failures.push({ at: Date.now() - started, status: res.statusCode, body: body.slice(0, 200) });
    } catch (err) {
      requests++;
      const code = (err as { code?: string }).code ?? (err as Error).name ?? 'error';
      bump(errors, code);
      if (failures.length < MAX_SAMPLES) failures.push({ at: Date.now() - started, error: `${code}: ${(err as Error).message}` });
    }
  }

  const done = (async () => {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (more()) {
          await one(next++);
          if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
        }
      }),
    );
    await agent.close().catch(() => undefined);
    return result();
  })();

  return {
    progress: result,
    done,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/** One line for t.diagnostic: "12345 requests, 99.95% ok (12339), statuses {...}, errors {...}". */
export function describeLoad(r: LoadResult): string {
  const pct = (r.successRate * 100).toFixed(3);
  return (
    `${r.requests} requests in ${r.elapsedMs} ms, ${pct}% succeeded (${r.succeeded}), ` +
    `statuses ${JSON.stringify(r.statuses)}, errors ${JSON.stringify(r.errors)}, upstreams ${JSON.stringify(r.upstreams)}` +
    (r.failures.length ? `, first failures ${JSON.stringify(r.failures.slice(0, 5))}` : '')
  );
}
