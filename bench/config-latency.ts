/**
 * `npm run bench -- config`: time from an etcd put's response to the first proxied request that
 * shows the change, with Junction on a real etcd. Two kinds of change, one at a time:
 *  - flip: route /flip switches its backend between upstream A and B (bodies "A" / "B");
 *  - add:  a new route /new/<i> appears (404 before, 200 "A" after).
 * The proxy is polled back-to-back on one keep-alive connection (resolution: one round trip).
 * Writes bench/results/config-latency.json. Goal: p99 < 100 ms.
 */
import type { BenchPaths } from './lib/bench-paths.js';
import { startBenchEtcd, type BenchEtcd } from './lib/etcd-server.js';
import { Poller } from './lib/http-get.js';
import { startReadyJunction } from './lib/junction-process.js';
import { busyWarning, machineInfo, machineLine, type MachineInfo } from './lib/machine.js';
import { startUpstream } from './lib/node-child.js';
import type { BenchOptions } from './lib/options.js';
import type { ProcessGroup } from './lib/process-group.js';
import { writeResult } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';
import { int, ms, textTable } from './lib/table.js';
import { pollUntil, sleep } from './lib/time.js';

const GOAL_P99_MS = 100;
const PER_CHANGE_TIMEOUT_MS = 5000;

export interface ChangeSeries {
  readonly kind: 'flip' | 'add';
  readonly what: string;
  /** put response -> first proxied response showing the change, ms */
  readonly visible: Summary;
  /** the put itself (request -> response), ms */
  readonly put: Summary;
  readonly timeouts: number;
}

export interface ConfigLatencyReport {
  readonly machine: MachineInfo;
  readonly series: readonly ChangeSeries[];
  readonly goal: { readonly p99Ms: number; readonly worstP99Ms: number; readonly met: boolean };
}

interface Change {
  /** writes the change; resolves when the put's response arrived */
  put(): Promise<void>;
  /** true once the proxy shows it */
  visible(): Promise<boolean>;
}

async function measure(label: string, count: number, change: (i: number) => Change): Promise<{ visible: number[]; put: number[]; timeouts: number }> {
  const visible: number[] = [];
  const put: number[] = [];
  let timeouts = 0;
  for (let i = 0; i < count; i++) {
    const c = change(i);
    const t0 = performance.now();
    await c.put();
    const t1 = performance.now();
    put.push(t1 - t0);
    try {
      const t2 = await pollUntil(`${label} #${i} visible`, async () => ((await c.visible()) ? performance.now() : undefined), PER_CHANGE_TIMEOUT_MS, 0);
      visible.push(t2 - t1);
    } catch {
      timeouts++;
    }
    if ((i + 1) % 50 === 0 || i + 1 === count) {
      const s = summarize(visible);
      process.stdout.write(`  ${label.padEnd(5)} ${String(i + 1).padStart(4)}/${count}  p50 ${ms(s.p50)} ms  max ${ms(s.max)} ms\n`);
    }
    await sleep(10 + (i % 4) * 5); // spread the changes a little, off any timer phase
  }
  return { visible, put, timeouts };
}

function series(kind: ChangeSeries['kind'], what: string, m: { visible: number[]; put: number[]; timeouts: number }): ChangeSeries {
  return { kind, what, visible: summarize(m.visible), put: summarize(m.put), timeouts: m.timeouts };
}

async function writeConfig(etcd: BenchEtcd, a: string, b: string): Promise<void> {
  await etcd.putMany([
    ['/junction/backends/a', { servers: [{ id: 'a1', url: a }] }],
    ['/junction/backends/b', { servers: [{ id: 'b1', url: b }] }],
    ['/junction/routes/flip', { match: { pathPrefix: '/flip' }, backend: 'a' }],
  ]);
}

export async function runConfigLatency(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<ConfigLatencyReport> {
  const machine = await machineInfo(group.pinning);
  process.stdout.write(`\n== config latency ==\n${machineLine(machine)}\n`);
  if (busyWarning(machine)) process.stdout.write(`${busyWarning(machine)}\n`);
  const [a, b] = [await startUpstream(group, paths, 'A', 'upstream-a'), await startUpstream(group, paths, 'B', 'upstream-b')];
  const etcd = await startBenchEtcd(group);
  let proxy: Poller | undefined;
  try {
    await writeConfig(etcd, a.url, b.url);
    const j = await startReadyJunction(group, paths, { name: 'config', etcd: etcd.endpoint, accessLog: 'off', core: group.pinning.proxyCore });
    const p = (proxy = new Poller(j.url));
    await pollUntil('/flip -> A', async () => ((await p.get('/flip')).body === 'A' ? true : undefined), 10_000, 10);

    const n = opts.configIterations;
    process.stdout.write(`- flip: route /flip switches backend a <-> b, ${n} times\n`);
    const flip = await measure('flip', n, (i) => {
      const to = i % 2 === 0 ? 'b' : 'a';
      return {
        put: async () => void (await etcd.putJson('/junction/routes/flip', { match: { pathPrefix: '/flip' }, backend: to })),
        visible: async () => (await p.get('/flip')).body === to.toUpperCase(),
      };
    });
    const m = Math.max(1, Math.ceil(n / 2));
    process.stdout.write(`- add: a new route /new/<i> appears, ${m} times\n`);
    const add = await measure('add', m, (i) => ({
      put: async () => void (await etcd.putJson(`/junction/routes/new-${i}`, { match: { path: `/new/${i}` }, backend: 'a' })),
      visible: async () => (await p.get(`/new/${i}`)).status === 200,
    }));

    const all = [series('flip', 'route backend switched (a <-> b)', flip), series('add', 'new route added', add)];
    const worst = Math.max(...all.map((s) => (s.timeouts > 0 ? Number.POSITIVE_INFINITY : s.visible.p99)));
    const report: ConfigLatencyReport = { machine, series: all, goal: { p99Ms: GOAL_P99_MS, worstP99Ms: worst, met: worst < GOAL_P99_MS } };
    const cols = [
      { title: 'change' },
      { title: 'count', align: 'right' as const },
      { title: 'p50 ms', align: 'right' as const },
      { title: 'p90 ms', align: 'right' as const },
      { title: 'p99 ms', align: 'right' as const },
      { title: 'max ms', align: 'right' as const },
      { title: 'timeouts', align: 'right' as const },
      { title: 'put p50 ms', align: 'right' as const },
    ];
    const rows = all.map((s) => [s.what, int(s.visible.count), ms(s.visible.p50), ms(s.visible.p90), ms(s.visible.p99), ms(s.visible.max), int(s.timeouts), ms(s.put.p50)]);
    process.stdout.write(`\nput response -> first proxied response showing the change:\n${textTable(cols, rows)}\n`);
    process.stdout.write(`goal: p99 < ${GOAL_P99_MS} ms: ${Number.isFinite(worst) ? `${worst.toFixed(2)} ms` : 'timeouts'}, ${report.goal.met ? 'met' : 'MISSED'}\n`);
    process.stdout.write(`wrote ${writeResult(paths, 'config-latency.json', report)}\n`);
    await group.stop(j.managed, 10_000);
    return report;
  } finally {
    await proxy?.close();
    await etcd.close();
    await group.stop(etcd.managed, 5000);
    await group.stop(a.managed, 2000);
    await group.stop(b.managed, 2000);
  }
}
