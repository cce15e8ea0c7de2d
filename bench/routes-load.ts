/**
 * `npm run bench -- routes`: Junction with 10 routes vs N (default 10,000) routes over N/10
 * backends of 5 servers each (bench/lib/route-set.ts), on a real etcd:
 *  - load: spawn -> /healthz 200 (listeners up) -> /readyz 200 (configuration applied), and
 *    Junction's own startedAt -> appliedAt;
 *  - apply at scale: a put's response -> /api/v1/status shows its revision -> the new route serves;
 *  - end-to-end lookup cost: proxied throughput/latency on the same 10-request mix, alternating
 *    10 / N for a few short rounds (access log off, to keep the noise down).
 * Writes bench/results/routes-load.json. Goals (docs/bench.md): loading < 1 s; a one-key change serving
 * < 100 ms (p99); RSS < 300 MB; N routes within 1.2x of 10 (end to end here; the pure lookup
 * micro-bench, `node dist/bench/routing.js`, is reported from its last bench/results/routing.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPaths } from './lib/bench-paths.js';
import { startBenchEtcd } from './lib/etcd-server.js';
import type { CpuWindow } from './lib/cpu-usage.js';
import { runLoadWatched, type LoadResult } from './lib/load.js';
import { busyWarning, machineInfo, machineLine, waitForQuiet, type MachineInfo } from './lib/machine.js';
import { startUpstream } from './lib/node-child.js';
import type { BenchOptions } from './lib/options.js';
import type { ProcessGroup } from './lib/process-group.js';
import { writeResult } from './lib/results.js';
import { requestMix, routeSetEntries } from './lib/route-set.js';
import { APPLY_ITERATIONS, applyLatency, checkMix, loadJunction, type Loaded } from './lib/routes-measure.js';
import { summarize, type Summary } from './lib/stats.js';
import { int, ms, textTable } from './lib/table.js';

const LOAD_GOAL_MS = 1000;
const APPLY_GOAL_MS = 100;
const RSS_GOAL_MB = 300;
const LOOKUP_GOAL_RATIO = 1.2;

/** The routing micro-bench's last lookup ratio (10,000 / 10 routes), if it has been run. */
function microLookup(paths: BenchPaths): { ratio: number; date: string } | undefined {
  try {
    const r = JSON.parse(readFileSync(join(paths.results, 'routing.json'), 'utf8')) as { date: string; goals: { lookupRatio10kVs10: { value: number } } };
    return { ratio: r.goals.lookupRatio10kVs10.value, date: r.date };
  } catch {
    return undefined;
  }
}

export interface RoutesScale {
  readonly routes: number;
  /** spawn -> /healthz 200 (process up, listeners bound; Junction binds before loading), ms */
  readonly listeningMs: number;
  /** spawn -> /readyz 200, ms */
  readonly readyMs: number;
  /** /healthz 200 -> /readyz 200: loading the configuration, ms (the goal's figure) */
  readonly loadMs: number;
  readonly internalLoadMs: number | undefined;
  readonly rssMiB: number | undefined;
  readonly idleRevisionsPerS: number;
  /** put response -> status shows the revision, ms */
  readonly applied: Summary;
  /** put response -> the new route answers through the proxy, ms */
  readonly served: Summary;
  readonly runs: ReadonlyArray<{ readonly result: LoadResult; readonly cpu: CpuWindow | undefined }>;
  readonly rps: number;
  /** Junction's CPU per proxied request, µs (mean of the rounds) */
  readonly cpuUsPerReq: number | undefined;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface RoutesLoadReport {
  readonly machine: MachineInfo;
  readonly writeMs: number;
  readonly keys: number;
  readonly scales: readonly RoutesScale[];
  readonly goals: {
    readonly loadMs: number;
    readonly loadMet: boolean;
    readonly applyMs: number;
    /** put -> served p99 (N routes) under APPLY_GOAL_MS */
    readonly applyMet: boolean;
    readonly rssMB: number;
    readonly rssMet: boolean;
    readonly lookupRatio: number;
    /** the routing micro-bench's last 10k/10 ratio, when bench/results/routing.json exists */
    readonly microLookupRatio: number | undefined;
    /** rps(10) / rps(N) */
    readonly throughputRatio: number;
    /** p50(N) / p50(10) */
    readonly latencyRatio: number;
    /** CPU µs/req (N) / CPU µs/req (10): the least noisy of the three */
    readonly cpuRatio: number | undefined;
    readonly lookupMet: boolean;
  };
}

export async function runRoutesLoad(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<RoutesLoadReport> {
  const machine = await machineInfo(group.pinning);
  const n = opts.routes;
  process.stdout.write(`\n== routes: 10 vs ${int(n)} routes ==\n${machineLine(machine)}\n`);
  if (busyWarning(machine)) process.stdout.write(`${busyWarning(machine)}\n`);
  const upstream = await startUpstream(group, paths);
  const etcd = await startBenchEtcd(group);
  const started: Loaded[] = [];
  try {
    const small = routeSetEntries('/r10', 10, upstream.url);
    const large = routeSetEntries('/rbig', n, upstream.url);
    const tw = performance.now();
    await etcd.putMany(small);
    await etcd.putMany(large);
    const writeMs = Math.round(performance.now() - tw);
    const keys = small.length + large.length;
    process.stdout.write(`- wrote ${int(keys)} keys (routes, backends with 3 inline servers, 2 server keys each) in ${writeMs} ms, 128 puts per transaction\n- load:\n`);
    started.push(await loadJunction(group, paths, etcd, 10, '/r10'));
    started.push(await loadJunction(group, paths, etcd, n, '/rbig'));
    for (const l of started) await checkMix(l);

    process.stdout.write(`- apply at scale (${APPLY_ITERATIONS} single-route puts each, alternately timed to served and to applied):\n`);
    const applies: Array<{ applied: number[]; served: number[] }> = [];
    for (const l of started) applies.push(await applyLatency(etcd, l));

    process.stdout.write(`- proxied load, same 10-request mix, ${opts.routesRounds} rounds alternating:\n`);
    const runs: Array<Array<{ result: LoadResult; cpu: CpuWindow | undefined }>> = started.map(() => []);
    for (let round = 0; round < opts.routesRounds; round++) {
      for (const [i, l] of started.entries()) {
        if (opts.quietWaitS > 0) await waitForQuiet(opts.quietPct, opts.quietWaitS, (line) => process.stdout.write(`${line}\n`));
        const { result: r, cpu } = await runLoadWatched(group, paths, {
          label: `${l.routes} routes #${round + 1}`,
          url: l.j.url,
          connections: opts.connections,
          durationS: opts.routesDurationS,
          warmupS: Math.min(2, opts.warmupS),
          requests: requestMix(l.routes),
        }, [l.j.managed.pid]);
        process.stdout.write(`  ${int(l.routes)} routes round ${round + 1}: ${int(r.rps)} req/s, p50 ${ms(r.latencyMs.p50)} ms, p99 ${ms(r.latencyMs.p99)} ms, errors ${r.errors + r.timeouts}, non-2xx ${r.non2xx}${cpu ? `, Junction CPU ${cpu.processPct}% = ${cpu.usPerRequest} µs/req` : ''}\n`);
        runs[i]?.push({ result: r, cpu });
      }
    }

    const scales: RoutesScale[] = started.map((l, i) => {
      const rs = runs[i] ?? [];
      const mean = (f: (r: LoadResult) => number) => Math.round((rs.reduce((a, r) => a + f(r.result), 0) / Math.max(1, rs.length)) * 100) / 100;
      const cpus = rs.map((r) => r.cpu?.usPerRequest).filter((x): x is number => x !== undefined && x > 0);
      return {
        routes: l.routes,
        listeningMs: l.listeningMs,
        readyMs: l.readyMs,
        loadMs: l.readyMs - l.listeningMs,
        internalLoadMs: l.internalLoadMs,
        rssMiB: l.rssMiB,
        idleRevisionsPerS: l.idleRevisionsPerS,
        applied: summarize(applies[i]?.applied ?? []),
        served: summarize(applies[i]?.served ?? []),
        runs: rs,
        rps: Math.round(mean((r) => r.rps)),
        cpuUsPerReq: cpus.length > 0 ? Math.round(cpus.reduce((a, b) => a + b, 0) / cpus.length) : undefined,
        p50Ms: mean((r) => r.latencyMs.p50),
        p99Ms: mean((r) => r.latencyMs.p99),
      };
    });
    const [s10, sN] = scales as [RoutesScale, RoutesScale];
    const throughputRatio = Math.round((s10.rps / Math.max(1, sN.rps)) * 100) / 100;
    const latencyRatio = Math.round((sN.p50Ms / Math.max(0.001, s10.p50Ms)) * 100) / 100;
    const cpuRatio = s10.cpuUsPerReq && sN.cpuUsPerReq ? Math.round((sN.cpuUsPerReq / s10.cpuUsPerReq) * 100) / 100 : undefined;
    const micro = microLookup(paths);
    const rssMB = Math.round(((sN.rssMiB ?? Number.NaN) * 2 ** 20) / 1e6);
    const report: RoutesLoadReport = {
      machine,
      writeMs,
      keys,
      scales,
      goals: {
        loadMs: LOAD_GOAL_MS,
        loadMet: sN.loadMs < LOAD_GOAL_MS,
        applyMs: APPLY_GOAL_MS,
        applyMet: sN.served.p99 < APPLY_GOAL_MS,
        rssMB,
        rssMet: rssMB < RSS_GOAL_MB,
        lookupRatio: LOOKUP_GOAL_RATIO,
        microLookupRatio: micro?.ratio,
        throughputRatio,
        latencyRatio,
        cpuRatio,
        lookupMet: (cpuRatio ?? throughputRatio) <= LOOKUP_GOAL_RATIO,
      },
    };
    const cols = [
      { title: 'routes' },
      { title: 'listening ms', align: 'right' as const },
      { title: 'ready ms', align: 'right' as const },
      { title: 'load ms', align: 'right' as const },
      { title: 'internal ms', align: 'right' as const },
      { title: 'RSS MiB', align: 'right' as const },
      { title: 'apply p50/p99/max ms', align: 'right' as const },
      { title: 'served p50/p99/max ms', align: 'right' as const },
      { title: 'req/s', align: 'right' as const },
      { title: 'p50 ms', align: 'right' as const },
      { title: 'p99 ms', align: 'right' as const },
      { title: 'CPU µs/req', align: 'right' as const },
    ];
    const rows = scales.map((s) => [
      int(s.routes),
      int(s.listeningMs),
      int(s.readyMs),
      int(s.loadMs),
      s.internalLoadMs === undefined ? '-' : int(s.internalLoadMs),
      s.rssMiB === undefined ? '-' : int(s.rssMiB),
      `${ms(s.applied.p50)} / ${ms(s.applied.p99)} / ${ms(s.applied.max)}`,
      `${ms(s.served.p50)} / ${ms(s.served.p99)} / ${ms(s.served.max)}`,
      int(s.rps),
      ms(s.p50Ms),
      ms(s.p99Ms),
      s.cpuUsPerReq === undefined ? '-' : int(s.cpuUsPerReq),
    ]);
    process.stdout.write(`\n${textTable(cols, rows)}\n`);
    process.stdout.write(
      'listening = spawn -> /healthz 200; ready = spawn -> /readyz 200; load = ready - listening (Junction binds its listeners before loading); internal = status startedAt -> appliedAt\n',
    );
    process.stdout.write(`goal: loading ${int(n)} routes < ${LOAD_GOAL_MS} ms: ${sN.loadMs} ms (${sN.readyMs} ms after spawn), ${report.goals.loadMet ? 'met' : 'MISSED'}\n`);
    process.stdout.write(
      `goal: one-key change at ${int(n)} routes < ${APPLY_GOAL_MS} ms (put -> served, p99): p50 ${ms(sN.served.p50)} / p99 ${ms(sN.served.p99)} / max ${ms(sN.served.max)} ms (put -> status revision p99 ${ms(sN.applied.p99)} ms), ${report.goals.applyMet ? 'met' : 'MISSED'}\n`,
    );
    process.stdout.write(`goal: RSS at ${int(n)} routes < ${RSS_GOAL_MB} MB: ${rssMB} MB, ${report.goals.rssMet ? 'met' : 'MISSED'}\n`);
    process.stdout.write(
      `lookup micro-bench (node dist/bench/routing.js, pure RouteIndex.match): ${micro === undefined ? 'not run (no bench/results/routing.json)' : `10k/10 ${micro.ratio.toFixed(2)}x, ${micro.ratio <= LOOKUP_GOAL_RATIO ? 'met' : 'MISSED'} (run ${micro.date})`}\n`,
    );
    process.stdout.write(
      `goal: ${int(n)} routes within ${LOOKUP_GOAL_RATIO}x of 10 (judged on CPU µs/req): CPU N/10 ${cpuRatio === undefined ? '-' : `${cpuRatio.toFixed(2)}x`}, throughput 10/N ${throughputRatio.toFixed(2)}x, p50 N/10 ${latencyRatio.toFixed(2)}x, ${report.goals.lookupMet ? 'met' : 'MISSED'}\n`,
    );
    process.stdout.write(`wrote ${writeResult(paths, 'routes-load.json', report)}\n`);
    return report;
  } finally {
    for (const l of started) await group.stop(l.j.managed, 10_000);
    await etcd.close();
    await group.stop(etcd.managed, 5000);
    await group.stop(upstream.managed, 2000);
  }
}
