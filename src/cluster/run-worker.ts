import { createLogger } from '../observability/logger.js';
import { startJunction, type Junction } from '../junction.js';
import { junctionOptions, type ServeOptions } from '../serve-options.js';
import { IpcChannel } from './ipc-channel.js';
import { primaryPort } from './process-ports.js';
import { RemoteStore } from './remote-store.js';
import { WorkerOp, WorkerTopic, type WorkerState } from './worker-protocol.js';

/**
 * One `--workers` worker: a whole Junction (router, pools, filters, tee) on the shared proxy
 * listener, reading the primary's store over IPC, with a private admin listener on 127.0.0.1 that
 * the primary's admin listener passes requests on to. Exits when told to (after draining), on
 * SIGTERM/SIGINT, or when the primary goes away.
 */
export async function runWorker(opts: ServeOptions, index: number): Promise<number> {
  // workers share the primary's stdout pipe: writes of at most PIPE_BUF bytes keep lines whole
  const log = createLogger({ level: opts.logLevel, maxWrite: 4096 });
  const logger = log.logger.child({ worker: index });
  const channel = new IpcChannel(primaryPort());
  let junction: Junction | undefined;
  try {
    const store = await RemoteStore.connect(channel);
    junction = await startJunction({
      ...junctionOptions(opts, logger, log.sink),
      // a private admin port the primary passes requests on to; the store is the primary's
      admin: { host: '127.0.0.1', port: 0 },
      adminExclusive: true,
      listenWhenConfigured: true,
      store,
      statusKey: index === 0,
      worker: { index },
    });
  } catch (err) {
    channel.emit(WorkerTopic.failed, { message: err instanceof Error ? err.message : String(err) });
    logger.error({ err }, 'worker failed to start');
    log.flush();
    channel.close();
    leave(1);
    return 1;
  }
  const j = junction;
  let draining = false;
  const state = (): WorkerState => {
    const snap = j.snapshot();
    return { pid: process.pid, adminPort: j.adminAddress.port, ready: snap !== undefined && !draining, revision: snap?.revision ?? 0, draining };
  };
  const report = () => channel.emit(WorkerTopic.state, state());
  channel.handle(WorkerOp.status, () => j.status()).handle(WorkerOp.metrics, () => j.metrics.registry.getMetricsAsJSON());
  // events go out once the new snapshot is current: the state reported is the new one
  const unsubscribe = j.events.on((e) => {
    if (e.type === 'config.applied' || e.type === 'config.rejected') report();
  });
  void j.firstApplied.then(report, () => undefined);
  report();

  return new Promise<number>((resolve) => {
    const stop = (why: string) => {
      if (draining) return;
      draining = true;
      report();
      logger.info({ why, inFlight: j.inFlight() }, 'worker draining');
      void j.close().then(
        () => finish(0),
        (err: unknown) => {
          logger.error({ err }, 'worker shutdown failed');
          finish(1);
        },
      );
    };
    const finish = (code: number) => {
      unsubscribe();
      channel.close();
      log.flush();
      resolve(code);
      leave(code);
    };
    channel.on(WorkerTopic.shutdown, () => stop('primary asked'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // (If the primary dies, node:cluster exits the worker at once on the IPC disconnect.)
  });
}

/** The IPC pipe would keep a worker alive after its work is done; if anything else still does, exit anyway. */
function leave(code: number): void {
  if (process.connected) process.disconnect();
  setTimeout(() => process.exit(code), 2000).unref();
}
