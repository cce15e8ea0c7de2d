/**
 * In-process config-apply bench: the goal's configuration (N routes over N/10 backends with 5
 * servers each, half inline and half under `servers/` keys) fed straight into a ConfigManager and
 * GraphApplier (no etcd, no sockets), then single-key changes of each kind, timed from the store
 * update to the new graph being swapped in. Run: `npx tsc -p . && node dist/bench/config-apply.js`
 * (`--cpu-prof` to see where the time goes). Env: BENCH_ROUTES (default 10000), BENCH_APPLY_ITERATIONS (default 40).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { ConfigManager } from '../src/config/config-manager.js';
import { createValidators } from '../src/config/decode/validators.js';
import type { ConfigStore, StoreEvent, StoreUpdate, StoredValue } from '../src/config/store/types.js';
import { builtinFiltersDir } from '../src/filters/builtin-dir.js';
import { chainResources } from '../src/filters/chain-resources.js';
import { FilterInstances } from '../src/filters/instance-registry.js';
import { ModuleRegistry } from '../src/filters/module-registry.js';
import { JunctionEvents } from '../src/observability/events.js';
import { createMetrics } from '../src/observability/metrics.js';
import { GraphApplier } from '../src/runtime/graph-applier.js';
import { openGraphResources } from '../src/runtime/open-graph-resources.js';
import { Switcher } from '../src/runtime/switcher.js';
import { routeSetEntries } from './lib/route-set.js';
import { summarize } from './lib/stats.js';

const P = '/apply';
const N = Number(process.env['BENCH_ROUTES'] ?? 10_000);
const ITERATIONS = Number(process.env['BENCH_APPLY_ITERATIONS'] ?? 40);
const IDLE_MS = 5000;

async function main(): Promise<void> {
  const logger = pino({ level: 'silent' });
  let revision = 1;
  const kvs: StoredValue[] = routeSetEntries(P, N, 'http://127.0.0.1:9').map(([key, value]) => ({
    key,
    value: JSON.stringify(value),
    modRevision: revision,
    createRevision: revision,
    version: 1,
  }));
  let onUpdate: ((u: StoreUpdate) => void) | undefined;
  const store = {
    kind: 'embedded',
    prefix: P,
    load: async () => ({ revision, kvs }),
    watch: (_from: number, cb: (u: StoreUpdate) => void) => {
      onUpdate = cb;
      return { close: async () => undefined };
    },
  } as unknown as ConfigStore;

  const metrics = createMetrics({ staleness: () => 0 });
  const events = new JunctionEvents();
  const validators = createValidators();
  const modules = new ModuleRegistry([builtinFiltersDir()], validators.ajv, logger);
  const switcher = new Switcher();
  let applied: ((rev: number) => void) | undefined;
  const resources = openGraphResources({
    metrics,
    logger,
    events,
    chains: chainResources({ modules, instances: new FilterInstances(logger), budgetMs: 5000, metrics, logger }),
  });
  const { registry, shadowRegistry, health } = resources;
  const applier = new GraphApplier({
    switcher,
    resources,
    logger,
    events,
    onApplied: (snap) => applied?.(snap.revision),
  });
  const manager = new ConfigManager({
    store,
    validators,
    logger,
    filters: modules,
    coalesceMs: 0,
    current: () => switcher.snapshot,
    onSnapshot: (s, r, k) => applier.apply(s, r, k),
  });
  await modules.start(() => manager.rebuild());

  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await manager.start();
  const loadMs = performance.now() - t0;
  global.gc?.();
  const rss = process.memoryUsage().rss;
  const g = switcher.current;
  process.stdout.write(
    `load: ${kvs.length} keys -> ${g?.routes.size} routes, ${g?.backends.size} backends in ${loadMs.toFixed(0)} ms; RSS ${(rss / 2 ** 20).toFixed(0)} MiB (+${((rss - rss0) / 2 ** 20).toFixed(0)})\n`,
  );

  // What the loaded configuration costs at rest: timers of 5,000 health states and breakers, etc.
  const idle = monitorEventLoopDelay({ resolution: 5 });
  const idleCpu = process.cpuUsage();
  idle.enable();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  idle.disable();
  const cpu = process.cpuUsage(idleCpu);
  process.stdout.write(
    `idle ${IDLE_MS / 1000} s: event-loop delay p99 ${(idle.percentile(99) / 1e6).toFixed(1)} ms, max ${(idle.max / 1e6).toFixed(1)} ms; CPU ${(((cpu.user + cpu.system) / 1000 / IDLE_MS) * 100).toFixed(1)}% of a core\n`,
  );

  const change = async (events: StoreEvent[]): Promise<number> => {
    revision++;
    const done = new Promise<void>((resolve) => {
      applied = (rev) => rev >= revision && resolve();
    });
    const start = performance.now();
    onUpdate?.({ kind: 'changes', revision, events: events.map((e) => ({ ...e, modRevision: revision })) });
    await done;
    return performance.now() - start;
  };
  const put = (key: string, value: unknown): StoreEvent => ({ type: 'put', key: `${P}/${key}`, value: JSON.stringify(value), modRevision: 0, createRevision: 0, version: 1 });
  const kinds: Record<string, (k: number) => StoreEvent[]> = {
    'route add': (k) => [put(`routes/added-${k}`, { match: { host: 'added.bench.test', path: `/added/${k}` }, backend: 'b1' })],
    'route change': (k) => [put('routes/r5', { match: { host: 'h0.bench.test', pathPrefix: '/p5/' }, backend: `b${k % 10}` })],
    'backend change': (k) => [put('backends/b3', { balancer: k % 2 ? 'least-request' : 'round-robin', servers: [{ id: 's1', url: 'http://127.0.0.1:9' }] })],
    'server change': (k) => [put('servers/b4/s5', { url: 'http://127.0.0.1:9', weight: 1 + (k % 3) })],
  };
  for (const [name, make] of Object.entries(kinds)) {
    const times: number[] = [];
    for (let k = 0; k < ITERATIONS; k++) times.push(await change(make(k)));
    const s = summarize(times);
    process.stdout.write(`${name.padEnd(15)} p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms\n`);
  }
  await manager.close();
  modules.close();
  health.close();
  await registry.close(true);
  await shadowRegistry.close(true);
}

await main();
