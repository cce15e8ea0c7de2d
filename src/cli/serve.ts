import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { demoBanner } from '../demo/demo-banner.js';
import { writeDemoConfig } from '../demo/demo-config.js';
import { startDemoUpstream, stopDemoUpstreams, type DemoUpstream } from '../demo/demo-upstreams.js';
import { startJunction } from '../junction.js';
import { junctionOptions } from '../serve-options.js';
import { createLogger } from '../observability/logger.js';
import { parseServeOptions } from './serve-options.js';
import { WORKER_INDEX_ENV } from '../cluster/worker-protocol.js';

/** `junction serve`: runs until SIGTERM/SIGINT, then shuts down gracefully. Returns the exit code. */
export async function serve(argv: readonly string[]): Promise<number> {
  const opts = parseServeOptions(argv);
  const workerIndex = process.env[WORKER_INDEX_ENV];
  if (cluster.isWorker && workerIndex !== undefined) return (await import('../cluster/run-worker.js')).runWorker(opts, Number(workerIndex));
  if (opts.workers > 1) return (await import('../cluster/run-primary.js')).runPrimary(opts);
  const log = createLogger({ level: opts.logLevel });
  const logger = log.logger;
  if (opts.etcd === undefined) mkdirSync(opts.dataDir, { recursive: true });

  let demo: DemoUpstream[] = [];
  if (opts.demo && opts.demoUpstreams === undefined) {
    demo = await Promise.all(['stable', 'canary', 'shadow'].map((n) => startDemoUpstream(`demo-${n}`)));
  }
  const demoUrls = opts.demoUpstreams ?? demo.map((d) => d.url);
  const junction = await startJunction({
    ...junctionOptions(opts, logger, log.sink),
    beforeStart: async (store) => {
      if (opts.demo) {
        const [stable, canary, shadow] = demoUrls as [string, string, string];
        const revision = await writeDemoConfig(store, { stable, canary, shadow });
        logger.info({ revision, upstreams: demoUrls }, 'demo configuration written');
      }
    },
  }).catch(async (err: unknown) => {
    await stopDemoUpstreams(demo);
    throw err;
  });
  if (opts.demo && junction.proxyAddress !== undefined) process.stderr.write(demoBanner(junction.proxyAddress, junction.adminAddress, junction.tlsAddress));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        log.flush();
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'signal received');
      void junction
        .close()
        .then(() => stopDemoUpstreams(demo))
        .then(
          () => {
            log.flush();
            resolve(0);
          },
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            log.flush();
            resolve(1);
          },
        );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}
