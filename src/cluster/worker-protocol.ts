/** Between the primary and its workers, beside the store calls (store-protocol.ts). */
export const WorkerOp = {
  /** the worker's `GET /api/v1/status` document */
  status: 'worker.status',
  /** the worker's metrics as prom-client JSON, for aggregation */
  metrics: 'worker.metrics',
} as const;

export const WorkerTopic = {
  /** worker -> primary: what the primary tracks of each worker */
  state: 'worker.state',
  /** worker -> primary: it could not start (then it exits) */
  failed: 'worker.failed',
  /** primary -> worker: drain and exit */
  shutdown: 'worker.shutdown',
} as const;

export interface WorkerState {
  readonly pid: number;
  /** the port of the worker's private admin listener on 127.0.0.1 */
  readonly adminPort: number;
  readonly ready: boolean;
  readonly revision: number;
  readonly draining: boolean;
}

/** Environment a worker is started with. */
export const WORKER_INDEX_ENV = 'JUNCTION_WORKER_INDEX';
