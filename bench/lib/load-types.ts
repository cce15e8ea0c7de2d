/** One request shape of the load (autocannon cycles through them per connection). */
export interface LoadRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
}

/** What the load worker runs: a warm-up (not measured), then the measured run. */
export interface LoadSpec {
  readonly label: string;
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly requests?: readonly LoadRequest[];
}

export interface LoadResult {
  /** completed responses per second over the measured run */
  readonly rps: number;
  readonly total: number;
  readonly durationS: number;
  /** latency in ms, from every response, at microsecond resolution */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly bytesPerSec: number;
  /** autocannon's own figures (1 ms latency resolution), for reference */
  readonly autocannon: { readonly requestsAverage: number; readonly p50: number; readonly p99: number };
}

export type WorkerMessage =
  | { readonly type: 'measuring' }
  | { readonly type: 'tick'; readonly phase: 'warmup' | 'measure'; readonly second: number; readonly requests: number }
  | { readonly type: 'result'; readonly result: LoadResult }
  | { readonly type: 'failed'; readonly message: string };

export interface RunMessage {
  readonly type: 'run';
  readonly spec: LoadSpec;
}
