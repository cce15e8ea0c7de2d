import { loadavg } from 'node:os';
import type { BenchPaths } from './bench-paths.js';
import { cpuWindow, type CpuWindow } from './cpu-usage.js';
import { runLoadWatched, type LoadRequest, type LoadResult } from './load.js';
import { waitForQuiet } from './machine.js';
import type { BenchOptions } from './options.js';
import type { ProcessGroup } from './process-group.js';
import { int, ms } from './table.js';

/** Above this, the proxy core was busy with someone else's work during a run: the row is flagged. */
export const DISTURBED_PCT = 10;

/** A proxy ready to take load, measured in rounds. */
export interface LoadTarget {
  readonly id: string;
  readonly label: string;
  /** origin of the proxy */
  readonly url: string;
  /** processes whose CPU time is measured (descendants included) */
  readonly pids: readonly number[];
  readonly requests: readonly LoadRequest[];
}

export interface MeasuredRun {
  readonly round: number;
  readonly result: LoadResult;
  readonly cpu: CpuWindow | undefined;
  /** whole-machine busy % in the second before the run */
  readonly busyBeforePct: number | undefined;
  /**
   * CPU µs per request with one decimal, from the process's CPU share over the measured part and
   * the requests in it (the harness's `cpu.usPerRequest` is the same figure rounded to 1 µs)
   */
  readonly cpuUsPerReq: number | undefined;
  /** the proxy core's busy % minus the proxy's own CPU %: other processes' work on its core */
  readonly othersOnProxyCorePct: number | undefined;
  /**
   * the load core's busy % minus the CPU % of every process of the bench but the proxy (measured
   * over roughly the same window): other processes' work on the load core, which also slows the
   * proxy when the two cores are SMT siblings
   */
  readonly othersOnLoadCorePct: number | undefined;
  /** 1-minute load average when the load started */
  readonly loadAvg1: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Waits for a quiet machine, runs the load (warm-up + measured) against `t`, and prints one line. */
export async function measureOnce(
  group: ProcessGroup,
  paths: BenchPaths,
  opts: BenchOptions,
  t: LoadTarget,
  round: number,
): Promise<MeasuredRun> {
  const say = (l: string) => process.stdout.write(`${l}\n`);
  const busyBeforePct = opts.quietWaitS > 0 ? await waitForQuiet(opts.quietPct, opts.quietWaitS, say) : undefined;
  const loadAvg1 = round2(loadavg()[0] ?? 0);
  const running = runLoadWatched(
    group,
    paths,
    { label: `${t.id} #${round}`, url: t.url, connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS, requests: t.requests },
    t.pids,
  );
  // The bench's whole process tree (driver, load generator, upstream, shadows, etcd, proxies), over a
  // window inside the measured part (the load generator is stopped right after its result, so the
  // window must end before): what is left of the load core's busy time is other people's work.
  let tree: ReturnType<typeof cpuWindow> | undefined;
  let treePct: number | undefined;
  const startTree = setTimeout(() => (tree = cpuWindow([process.pid])), opts.warmupS * 1000 + 500);
  const endTree = setTimeout(() => (treePct = tree?.end(0).processPct), (opts.warmupS + opts.durationS) * 1000);
  let measured: Awaited<typeof running>;
  try {
    measured = await running;
  } finally {
    clearTimeout(startTree);
    clearTimeout(endTree);
  }
  const { result, cpu } = measured;
  const cpuUsPerReq = cpu && result.total > 0 ? round1(((cpu.processPct / 100) * result.durationS * 1e6) / result.total) : undefined;
  const core = group.pinning.enabled ? cpu?.corePct[group.pinning.proxyCore] : undefined;
  const othersOnProxyCorePct = cpu && core !== undefined ? round1(Math.max(0, core - cpu.processPct)) : undefined;
  const loadCore = group.pinning.enabled ? cpu?.corePct[group.pinning.loadCore] : undefined;
  const othersOnLoadCorePct = cpu && loadCore !== undefined && treePct !== undefined ? round1(Math.max(0, loadCore - (treePct - cpu.processPct))) : undefined;
  const cpuText = cpu ? `, CPU ${cpu.processPct}% = ${cpuUsPerReq} µs/req, cores ${cpu.corePct.map((c) => `${c}%`).join(' ')}` : '';
  say(
    `  ${t.label} #${round}: ${int(result.rps)} req/s, p50 ${ms(result.latencyMs.p50)} ms, p99 ${ms(result.latencyMs.p99)} ms, ` +
      `errors ${result.errors + result.timeouts}, non-2xx ${result.non2xx}${cpuText}` +
      `${othersOnLoadCorePct === undefined ? '' : `, others on the load core ${othersOnLoadCorePct}%`}` +
      `${othersOnProxyCorePct !== undefined && othersOnProxyCorePct > DISTURBED_PCT ? ` (disturbed: others used ${othersOnProxyCorePct}% of its core)` : ''}`,
  );
  return { round, result, cpu, busyBeforePct, cpuUsPerReq, othersOnProxyCorePct, othersOnLoadCorePct, loadAvg1 };
}

/** A scenario's rounds: the median of each figure (one disturbed round does not move it). */
export interface RunSummary {
  readonly rounds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** summed over the rounds */
  readonly errors: number;
  readonly non2xx: number;
  /** CPU % of one core */
  readonly cpuPct: number | undefined;
  readonly cpuUsPerReq: number | undefined;
  /** the worst round: other processes' work on the proxy core, % */
  readonly othersOnProxyCorePctMax: number | undefined;
  /** the worst round: other processes' work on the load core, % */
  readonly othersOnLoadCorePctMax: number | undefined;
  /** some round had more than DISTURBED_PCT of others' work on either core */
  readonly disturbed: boolean;
}

/** Median (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] ?? NaN) : ((v[mid - 1] ?? NaN) + (v[mid] ?? NaN)) / 2;
}

export function summarizeRuns(runs: readonly MeasuredRun[]): RunSummary | undefined {
  if (runs.length === 0) return undefined;
  const defined = (xs: ReadonlyArray<number | undefined>) => xs.filter((x): x is number => x !== undefined);
  const cpuPcts = defined(runs.map((r) => r.cpu?.processPct));
  const cpuUs = defined(runs.map((r) => r.cpuUsPerReq));
  const others = defined(runs.map((r) => r.othersOnProxyCorePct));
  const othersLoad = defined(runs.map((r) => r.othersOnLoadCorePct));
  const othersMax = others.length > 0 ? Math.max(...others) : undefined;
  const othersLoadMax = othersLoad.length > 0 ? Math.max(...othersLoad) : undefined;
  return {
    rounds: runs.length,
    rps: Math.round(median(runs.map((r) => r.result.rps))),
    p50Ms: round2(median(runs.map((r) => r.result.latencyMs.p50))),
    p99Ms: round2(median(runs.map((r) => r.result.latencyMs.p99))),
    errors: runs.reduce((a, r) => a + r.result.errors + r.result.timeouts, 0),
    non2xx: runs.reduce((a, r) => a + r.result.non2xx, 0),
    cpuPct: cpuPcts.length > 0 ? round1(median(cpuPcts)) : undefined,
    cpuUsPerReq: cpuUs.length > 0 ? round1(median(cpuUs)) : undefined,
    othersOnProxyCorePctMax: othersMax,
    othersOnLoadCorePctMax: othersLoadMax,
    disturbed: (othersMax ?? 0) > DISTURBED_PCT || (othersLoadMax ?? 0) > DISTURBED_PCT,
  };
}

/** Reads a positive integer knob from the environment. */
export function intEnv(name: string, fallback: number, min: number, max: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`${name}=${raw}: expected an integer in ${min}..${max}`);
  return v;
}

/** Lowest and highest 1-minute load average over some runs. */
export function loadAvgRange(runs: Iterable<MeasuredRun>): LoadAvgRange | undefined {
  const v = [...runs].map((r) => r.loadAvg1);
  return v.length > 0 ? { min: Math.min(...v), max: Math.max(...v) } : undefined;
}

/**
 * One line of a rounds report: the load average, how busy the machine was before each run, and
 * others' work on the proxy and load cores during the measured parts.
 */
export function disturbanceLine(r: {
  readonly machine: { readonly loadAvg1: number };
  readonly loadAvgDuringRuns?: LoadAvgRange;
  readonly scenarios: ReadonlyArray<{ readonly runs: readonly MeasuredRun[] }>;
}): string {
  const runs = r.scenarios.flatMap((s) => [...s.runs]);
  const range = (pick: (x: MeasuredRun) => number | undefined, unit: string): string => {
    const v = runs.map(pick).filter((x): x is number => x !== undefined);
    return v.length ? `${Math.min(...v)}–${Math.max(...v)}${unit}` : 'n/a';
  };
  const la = r.loadAvgDuringRuns;
  return (
    `How disturbed: load average ${r.machine.loadAvg1} at the start${la ? `, ${la.min}–${la.max} during the runs` : ''}; ` +
    `machine busy before each run ${range((x) => x.busyBeforePct, '%')} (quiet = < 15%); ` +
    `other processes during the measured parts: ${range((x) => x.othersOnProxyCorePct, '%')} of the proxy core, ` +
    `${range((x) => x.othersOnLoadCorePct, '%')} of the load core.`
  );
}

/** How a rounds report's load ran (the tee and filters reports add what they requested). */
export interface RoundsLoad {
  readonly tool: string;
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly rounds: number;
}

/** Lowest and highest 1-minute load average over the runs (see loadAvgRange). */
export interface LoadAvgRange {
  readonly min: number;
  readonly max: number;
}
