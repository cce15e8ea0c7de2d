/** A canary guard as `GET /api/v1/status` reports it (`canary.guards[]`). */
export interface GuardView {
  readonly route: string;
  readonly backend: string;
  readonly tripped: boolean;
  readonly trippedAt: string | null;
  /** requests and 5xx answers in the rolling window (frozen at the trip once tripped) */
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly maxErrorRate?: number;
  readonly minRequests?: number;
  readonly windowMs?: number;
}

/**
 * One guard in words, for `junction status` and `junction canary ROUTE`:
 * `ok: 1 error (5xx) in 45 requests = 2.2% in the last 30 s (trips above 5.0% with at least 100 requests)`
 * `TRIPPED at <ISO time>: 12 errors (5xx) in 150 requests = 8.0% in the last 30 s (trips above 5.0% with at least 100 requests)`
 * (a tripped guard's counts are those that tripped it). The limits are left out when the API does
 * not report them.
 */
export function describeGuard(g: GuardView): string {
  const state = g.tripped ? `TRIPPED${g.trippedAt ? ` at ${g.trippedAt}` : ''}` : 'ok';
  const window = g.windowMs === undefined ? '' : ` in the last ${seconds(g.windowMs)}`;
  const counts = `${plural(g.errors, 'error')} (5xx) in ${plural(g.requests, 'request')} = ${percent(g.errorRate)}${window}`;
  const limit =
    g.maxErrorRate === undefined || g.minRequests === undefined
      ? ''
      : ` (trips above ${percent(g.maxErrorRate)} with at least ${plural(g.minRequests, 'request')})`;
  return `${state}: ${counts}${limit}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function percent(rate: number): string {
  return `${(100 * rate).toFixed(1)}%`;
}

/** 30000 -> `30 s`, 1500 -> `1.5 s` */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
