import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { ConfigStore } from '../config/store/types.js';
import { JunctionError } from '../errors/junction-error.js';
import { IpcChannel } from './ipc-channel.js';
import { workerPort } from './process-ports.js';
import { StoreHost } from './store-host.js';
import { WORKER_INDEX_ENV, WorkerTopic, type WorkerState } from './worker-protocol.js';

/** One worker slot: the process in it now, and its history. */
export interface WorkerSlot {
  readonly index: number;
  worker: Worker | undefined;
  channel: IpcChannel | undefined;
  host: StoreHost | undefined;
  state: WorkerState | undefined;
  startedAt: number;
  restarts: number;
  /** consecutive deaths soon after start (drives the back-off) */
  quickDeaths: number;
}

export interface WorkerPoolOptions {
  readonly count: number;
  readonly store: ConfigStore;
  readonly logger: Logger;
  /** extra environment for every worker */
  readonly env?: Readonly<Record<string, string>>;
  /** a worker that dies sooner than this after starting counts as a crash loop and waits before its replacement */
  readonly quickDeathMs?: number;
  /** how often the store's health is pushed to the workers */
  readonly healthPushMs?: number;
  onRestart?(slot: WorkerSlot): void;
}

export class WorkerStartError extends JunctionError {
  constructor(index: number, reason: string) {
    super('worker_start_failed', `worker ${index} could not start: ${reason}`);
  }
}

/**
 * Forks `count` workers (node:cluster: they share the proxy listener, the primary hands out
 * connections round-robin), serves each one's store calls, replaces a worker that dies (backing off
 * when one keeps dying right after starting), and drains them all on `stop()`.
 */
export class WorkerPool {
  readonly slots: WorkerSlot[];
  readonly #opts: WorkerPoolOptions;
  readonly #exited = new Map<Worker, () => void>();
  readonly #healthTimer: NodeJS.Timeout;
  #stopping = false;

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
    // Workers accept from the one shared listening socket themselves (SCHED_NONE) unless the
    // operator sets NODE_CLUSTER_SCHED_POLICY=rr. With round-robin the primary accepts and hands
    // each connection over IPC; one handed to a worker that dies at that moment is never closed
    // nor given to another worker (node's cluster keeps it until the client gives up). Shared
    // accept leaves a dead worker's not-yet-accepted connections in the kernel queue for the others.
    if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_NONE;
    this.slots = Array.from({ length: opts.count }, (_, index) => ({
      index,
      worker: undefined,
      channel: undefined,
      host: undefined,
      state: undefined,
      startedAt: 0,
      restarts: 0,
      quickDeaths: 0,
    }));
    this.#healthTimer = setInterval(() => {
      for (const s of this.slots) s.host?.pushHealth();
    }, opts.healthPushMs ?? 500);
    this.#healthTimer.unref();
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** forks every worker; resolves once each is up (listening), rejects if one fails to start */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.#fork(slot, true)));
  }

  /** live workers that have applied a configuration, lowest index first */
  readyWorkers(): WorkerSlot[] {
    return this.slots.filter((s) => s.worker !== undefined && s.state?.ready === true);
  }

  #fork(slot: WorkerSlot, initial: boolean): Promise<void> {
    const worker = cluster.fork({ ...this.#opts.env, [WORKER_INDEX_ENV]: String(slot.index) });
    const channel = new IpcChannel(workerPort(worker));
    slot.worker = worker;
    slot.channel = channel;
    slot.host = new StoreHost(this.#opts.store, channel);
    slot.state = undefined;
    slot.startedAt = Date.now();
    return new Promise<void>((resolve, reject) => {
      let up = false;
      let failure: string | undefined;
      channel.on(WorkerTopic.state, (data) => {
        slot.state = data as WorkerState;
        if (!up) {
          up = true;
          resolve();
        }
      });
      channel.on(WorkerTopic.failed, (data) => {
        failure = (data as { message?: string }).message;
      });
      worker.on('error', (err) => this.#opts.logger.warn({ worker: slot.index, err }, 'worker IPC error'));
      worker.once('exit', (code, signal) => {
        channel.close();
        void slot.host?.dispose();
        if (slot.worker === worker) {
          slot.worker = undefined;
          slot.channel = undefined;
          slot.host = undefined;
          slot.state = undefined;
        }
        this.#exited.get(worker)?.();
        this.#exited.delete(worker);
        if (!up) {
          up = true;
          reject(new WorkerStartError(slot.index, failure ?? `exited with ${signal ?? `code ${code}`}`));
          // a replacement that cannot start is tried again, backing off; a first start fails the command
          if (!initial && !this.#stopping) this.#replace(slot, worker.process.pid, code, signal);
          return;
        }
        if (this.#stopping) return;
        this.#replace(slot, worker.process.pid, code, signal);
      });
    });
  }

  #replace(slot: WorkerSlot, pid: number | undefined, code: number | null, signal: string | null): void {
    const lived = Date.now() - slot.startedAt;
    slot.quickDeaths = lived < (this.#opts.quickDeathMs ?? 5000) ? slot.quickDeaths + 1 : 0;
    const delay = slot.quickDeaths === 0 ? 0 : Math.min(10_000, 250 * 2 ** (slot.quickDeaths - 1));
    this.#opts.logger.error({ worker: slot.index, pid, code, signal, livedMs: lived, restartInMs: delay }, `worker ${slot.index} died: starting a replacement`);
    slot.restarts++;
    this.#opts.onRestart?.(slot);
    const timer = setTimeout(() => {
      if (this.#stopping) return;
      this.#fork(slot, false).catch((err: unknown) => {
        this.#opts.logger.error({ worker: slot.index, err }, 'replacement worker failed to start');
      });
    }, delay);
    timer.unref();
  }

  /** asks every worker to drain and exit; kills those still there after `timeoutMs` */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#healthTimer);
    const waits = this.slots.flatMap((slot) => {
      const worker = slot.worker;
      if (!worker) return [];
      const exited = new Promise<void>((resolve) => this.#exited.set(worker, resolve));
      slot.channel?.emit(WorkerTopic.shutdown, null);
      return [exited];
    });
    const all = Promise.all(waits);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) {
      for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
      await Promise.race([all, new Promise((r) => setTimeout(r, 2000))]);
    }
  }
}
