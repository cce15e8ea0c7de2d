/** Messages between the soak bench driver and its load worker (bench/lib/soak-load-worker.ts). */

export interface SoakLoadSpec {
  readonly url: string;
  readonly path: string;
  readonly connections: number;
  /** requests per second over all connections (autocannon `overallRate`) */
  readonly rps: number;
  readonly durationS: number;
  /** per-request timeout, seconds */
  readonly timeoutS: number;
}

export interface SoakLoadRun {
  readonly type: 'run';
  readonly spec: SoakLoadSpec;
}

/** Cumulative counts since the load started; errors exclude timeouts. */
export interface SoakLoadCounts {
  readonly responses: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export interface SoakAutocannonTotals {
  readonly total: number;
  /** autocannon's errors, timeouts included */
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly durationS: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly latencyMax: number;
}

export type SoakLoadMessage =
  | { readonly type: 'tick'; readonly second: number; readonly counts: SoakLoadCounts }
  | { readonly type: 'result'; readonly counts: SoakLoadCounts; readonly autocannon: SoakAutocannonTotals }
  | { readonly type: 'failed'; readonly message: string };
