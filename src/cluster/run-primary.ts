import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { AdminAuth } from '../admin/auth.js';
import type { ServeOptions } from '../serve-options.js';
import { openStore, storeOptionsFrom } from '../config/store/index.js';
import type { ConfigStore } from '../config/store/types.js';
import { demoBanner } from '../demo/demo-banner.js';
import { writeDemoConfig } from '../demo/demo-config.js';
import { startDemoUpstream, stopDemoUpstreams, type DemoUpstream } from '../demo/demo-upstreams.js';
import { createLogger } from '../observability/logger.js';
import { closeServer, listen } from '../http/server-lifecycle.js';
import { createPrimaryMetrics } from './cluster-metrics.js';
import { createPrimaryAdmin } from './primary-admin.js';
import { WorkerPool } from './worker-pool.js';

/**
 * `junction serve --workers N`: the primary process. It owns the store client (one etcd
 * connection, or the embedded store's single owner) and the admin listener; it forks N workers
 * that share the proxy listener and each run a whole Junction fed from that store, replaces a
 * worker that dies, and on SIGTERM/SIGINT drains them all before it exits.
 */
export async function runPrimary(opts: ServeOptions): Promise<number> {
  const log = createLogger({ level: opts.logLevel, maxWrite: 4096 });
  const logger = log.logger.child({ role: 'primary' });
  if (opts.etcd === undefined) mkdirSync(opts.dataDir, { recursive: true });
  const cleanup: Array<() => Promise<unknown>> = [];
  let demo: DemoUpstream[] = [];
  let pool: WorkerPool | undefined;
  let admin: Server | undefined;
  let stopping = false;
  try {
    const store: ConfigStore = await openStore(storeOptionsFrom(opts, logger));
    cleanup.unshift(() => store.close());
    if (opts.demo) {
      if (opts.demoUpstreams === undefined) {
        demo = await Promise.all(['stable', 'canary', 'shadow'].map((n) => startDemoUpstream(`demo-${n}`)));
        cleanup.unshift(() => stopDemoUpstreams(demo));
      }
      const [stable, canary, shadow] = (opts.demoUpstreams ?? demo.map((d) => d.url)) as [string, string, string];
      const revision = await writeDemoConfig(store, { stable, canary, shadow });
      logger.info({ revision }, 'demo configuration written');
    }
    const metrics = createPrimaryMetrics();
    const workers = new WorkerPool({
      count: opts.workers,
      store,
      logger,
      env: { JUNCTION_INSTANCE_ID: opts.instanceId },
      onRestart: () => metrics.restarts.inc(),
    });
    pool = workers;
    admin = createPrimaryAdmin({ pool: workers, auth: new AdminAuth(opts.adminToken), logger, metrics, instanceId: opts.instanceId, stopping: () => stopping });
    const adminServer = admin;
    const adminAddress = await listen(adminServer, opts.admin, 'admin');
    cleanup.unshift(() => closeServer(adminServer, 1000));
    cleanup.unshift(() => workers.stop(opts.shutdownTimeoutMs + 5000));
    await workers.start();
    logger.info(
      {
        workers: opts.workers,
        listen: opts.listen === undefined ? undefined : `${opts.listen.host}:${opts.listen.port}`,
        tls: opts.listenTls === undefined ? undefined : `${opts.listenTls.host}:${opts.listenTls.port}`,
        admin: `${adminAddress.address}:${adminAddress.port}`,
        store: store.kind,
        instance: opts.instanceId,
      },
      'junction primary started',
    );
    if (opts.demo && opts.listen !== undefined) process.stderr.write(demoBanner({ address: opts.listen.host, port: opts.listen.port }, adminAddress, opts.listenTls === undefined ? undefined : { address: opts.listenTls.host, port: opts.listenTls.port }));
  } catch (err) {
    stopping = true;
    for (const fn of cleanup) await fn().catch(() => undefined);
    log.flush();
    throw err;
  }

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'signal received: draining every worker');
      void (async () => {
        let code = 0;
        for (const fn of cleanup) {
          await fn().catch((err: unknown) => {
            code = 1;
            logger.error({ err }, 'shutdown step failed');
          });
        }
        logger.info('junction stopped');
        log.flush();
        resolve(code);
      })();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
