/** What the handshake worker runs: new TLS connections, one request each, for a warm-up then a measured part. */
export interface HandshakeSpec {
  readonly label: string;
  /** `https://127.0.0.1:<port>`: where to connect */
  readonly url: string;
  /** SNI names, cycled connection after connection (absent: no SNI) */
  readonly servernames?: readonly string[];
  readonly path: string;
  /** connections under way at once */
  readonly concurrency: number;
  readonly warmupS: number;
  readonly durationS: number;
  /** offer the last session each loop received (TLS session resumption) */
  readonly resume: boolean;
}

export interface HandshakeResult {
  /** connections that completed (handshake, request, response, close) in the measured part */
  readonly total: number;
  readonly durationS: number;
  /** completed connections per second */
  readonly rps: number;
  /** of `total`, how many resumed a session */
  readonly reused: number;
  readonly errors: number;
  /** responses other than 200 */
  readonly non2xx: number;
  /** connect -> secureConnect, ms */
  readonly handshakeMs: { readonly p50: number; readonly p99: number; readonly mean: number };
  /** connect -> the response's end, ms */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly mean: number; readonly max: number };
}

export type HandshakeMessage =
  | { readonly type: 'measuring' }
  | { readonly type: 'measured' }
  | { readonly type: 'tick'; readonly phase: 'warmup' | 'measure'; readonly second: number; readonly requests: number }
  | { readonly type: 'result'; readonly result: HandshakeResult }
  | { readonly type: 'failed'; readonly message: string };

export interface HandshakeRun {
  readonly type: 'run';
  readonly spec: HandshakeSpec;
}
