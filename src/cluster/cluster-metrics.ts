import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { WorkerSlot } from './worker-pool.js';
import { WorkerOp } from './worker-protocol.js';

/** The primary's own series, beside its workers' aggregated ones. */
export interface PrimaryMetrics {
  readonly registry: Registry;
  readonly workers: Gauge<'state'>;
  readonly restarts: Counter;
}

export function createPrimaryMetrics(): PrimaryMetrics {
  const registry = new Registry();
  return {
    registry,
    workers: new Gauge({
      name: 'junction_workers',
      help: 'Worker processes by state: ready (serving an applied configuration) or starting',
      labelNames: ['state'],
      registers: [registry],
    }),
    restarts: new Counter({ name: 'junction_worker_restarts_total', help: 'Workers replaced after they died', registers: [registry] }),
  };
}

/**
 * `/metrics` of a `--workers` primary: every live worker's registry, merged the way prom-client's
 * AggregatorRegistry does (counters and histograms summed, each gauge by its own `aggregator`: the
 * config revision is the lowest any worker applied, a breaker is open if any worker's is), then the
 * primary's own series. A worker that does not answer within `timeoutMs` is left out of that scrape
 * (and counted in `junction_workers_scrape_missed`), so one stuck worker never blocks monitoring.
 */
export async function scrapeWorkers(slots: readonly WorkerSlot[], own: PrimaryMetrics, timeoutMs = 2000): Promise<string> {
  own.workers.reset();
  let ready = 0;
  let starting = 0;
  for (const s of slots) {
    if (s.worker === undefined) continue;
    if (s.state?.ready) ready++;
    else starting++;
  }
  own.workers.labels('ready').set(ready);
  own.workers.labels('starting').set(starting);
  const live = slots.filter((s) => s.channel !== undefined && s.state !== undefined);
  const answers = await Promise.allSettled(live.map((s) => (s.channel as NonNullable<WorkerSlot['channel']>).call<object[]>(WorkerOp.metrics, null, timeoutMs)));
  const perWorker = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  const missed = answers.length - perWorker.length;
  const merged = perWorker.length > 0 ? await AggregatorRegistry.aggregate(perWorker).metrics() : '';
  const note = `# HELP junction_workers_scrape_missed Workers that did not answer this scrape in time\n# TYPE junction_workers_scrape_missed gauge\njunction_workers_scrape_missed ${missed}\n`;
  return `${merged}${merged.endsWith('\n') || merged === '' ? '' : '\n'}${await own.registry.metrics()}${note}`;
}
