import type { CpuWindow } from './cpu-usage.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { LoadResult } from './load.js';
import { loadChartSvg } from './load-chart.js';
import { reportHeader, type MachineInfo } from './machine.js';
import { int, LOAD_COLUMNS, markdownTable, ms, rightColumns, type Column } from './table.js';

export interface ScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly what: string;
  /** Junction itself rather than a baseline (highlighted in the chart) */
  readonly junction?: boolean;
  readonly latencyCaveat?: string;
  readonly skipped?: string;
  readonly failed?: string;
  readonly result?: LoadResult;
  /** CPU of the proxy process(es) and of each core during the measured part */
  readonly cpu?: CpuWindow;
  /** whole-machine busy % in the second before the run (others' work skews the figures) */
  readonly busyBeforePct?: number;
  /** per reference id: the reference's CPU µs/req divided by this scenario's (req/s each would reach on one full core) */
  readonly cpuRatios?: Readonly<Record<string, number>>;
  /** per reference id: this scenario's req/s divided by the reference's */
  readonly rpsRatios?: Readonly<Record<string, number>>;
  readonly note?: string;
  /** with BENCH_THROUGHPUT_ROUNDS > 1: CPU µs/req of every round, in run order (the row is the median round) */
  readonly roundsCpu?: ReadonlyArray<number | undefined>;
}

/** A scenario the others are compared with, by CPU µs/req; with `goal`, Junction must reach that ratio. */
export interface Reference {
  readonly id: string;
  /** goal wording */
  readonly name: string;
  /** column title */
  readonly short: string;
  readonly goal?: number;
}

/**
 * The goals: Junction (full featured, access log on) against the plainest forwarders, by CPU µs per
 * request on one core, same run. http-proxy-3 with a keep-alive agent is shown beside them, no goal.
 */
export const REFERENCES: readonly Reference[] = [
  { id: 'http-proxy-3-no-agent', name: 'http-proxy-3 (agent: false)', short: 'http-proxy-3 agent:false', goal: 2 },
  { id: 'reply-from', name: '@fastify/reply-from', short: 'reply-from', goal: 1.3 },
  { id: 'http-proxy-3', name: 'http-proxy-3 (keep-alive)', short: 'http-proxy-3 keep-alive' },
];

export interface GoalResult {
  readonly reference: string;
  readonly name: string;
  readonly goal?: number;
  readonly junctionUsPerReq?: number;
  readonly referenceUsPerReq?: number;
  /** reference CPU µs/req divided by Junction's */
  readonly ratio?: number;
  readonly met?: boolean;
}

/** Junction --workers N against the single-process Junction of the same run. */
export interface Scaling {
  readonly id: string;
  readonly label: string;
  /** its req/s divided by Junction single-process req/s */
  readonly factor: number;
  readonly rps: number;
  readonly singleRps: number;
  readonly cpuPct?: number;
}

export interface ThroughputReport {
  readonly machine: MachineInfo;
  readonly load: { readonly tool: string; readonly connections: number; readonly durationS: number; readonly warmupS: number; readonly path: string };
  readonly scenarios: readonly ScenarioResult[];
  readonly goals: readonly GoalResult[];
  readonly scaling?: Scaling;
  /** why the multi-process scenario did not run, when it was selected */
  readonly scalingSkipped?: string;
  readonly profile?: ProfileSummary;
}

const x2 = (r: number | undefined): string => (r === undefined ? '-' : `${r.toFixed(2)}x`);
const r2 = (x: number): number => Math.round(x * 100) / 100;

/** Adds every row's ratios to the references measured in this run. */
export function withRatios(measured: readonly ScenarioResult[]): ScenarioResult[] {
  const refs = REFERENCES.map((ref) => ({ ref, run: measured.find((s) => s.id === ref.id) }));
  return measured.map((s) => {
    if (!s.result || s.id === 'direct') return s;
    const cpuRatios: Record<string, number> = {};
    const rpsRatios: Record<string, number> = {};
    for (const { ref, run } of refs) {
      if (run?.result && run.result.rps > 0) rpsRatios[ref.id] = r2(s.result.rps / run.result.rps);
      if (run?.cpu && s.cpu && s.cpu.usPerRequest > 0) cpuRatios[ref.id] = r2(run.cpu.usPerRequest / s.cpu.usPerRequest);
    }
    return { ...s, cpuRatios, rpsRatios };
  });
}

/** The goals, judged on the scenario `junctionId` (the full-featured Junction, access log on). */
export function judgeGoals(scenarios: readonly ScenarioResult[], junctionId: string): GoalResult[] {
  const j = scenarios.find((s) => s.id === junctionId);
  return REFERENCES.map((ref) => {
    const run = scenarios.find((s) => s.id === ref.id);
    const ratio = j?.cpuRatios?.[ref.id];
    return {
      reference: ref.id,
      name: ref.name,
      ...(ref.goal === undefined ? {} : { goal: ref.goal }),
      ...(j?.cpu ? { junctionUsPerReq: j.cpu.usPerRequest } : {}),
      ...(run?.cpu ? { referenceUsPerReq: run.cpu.usPerRequest } : {}),
      ...(ratio === undefined ? {} : { ratio, ...(ref.goal === undefined ? {} : { met: ratio >= ref.goal }) }),
    };
  });
}

/** Scaling factor of the multi-process scenario against the single-process one, when both ran. */
export function scalingOf(scenarios: readonly ScenarioResult[], singleId: string, multiId: string): Scaling | undefined {
  const single = scenarios.find((s) => s.id === singleId)?.result;
  const multi = scenarios.find((s) => s.id === multiId);
  if (!single || !multi?.result || single.rps <= 0) return undefined;
  return {
    id: multi.id,
    label: multi.label,
    factor: r2(multi.result.rps / single.rps),
    rps: multi.result.rps,
    singleRps: single.rps,
    ...(multi.cpu ? { cpuPct: multi.cpu.processPct } : {}),
  };
}

export function goalLines(goals: readonly GoalResult[]): string[] {
  return goals.map((g) => {
    const measured = g.ratio === undefined ? 'not measured in this run' : `${g.referenceUsPerReq} vs ${g.junctionUsPerReq} µs/req = ${x2(g.ratio)}`;
    if (g.goal === undefined) return `For reference, Junction vs ${g.name} by CPU µs/req (no goal): ${measured}`;
    return `Goal: Junction (access log on) >= ${g.goal}x ${g.name} by CPU µs/req: ${measured}${g.met === undefined ? '' : g.met ? ': met' : ': MISSED'}`;
  });
}

export function scalingLine(s: Scaling | undefined, skipped: string | undefined): string {
  if (!s) return `Scaling, Junction --workers 2: ${skipped ? `skipped (${skipped})` : 'not measured in this run'}.`;
  return (
    `Scaling, ${s.label}: ${int(s.rps)} req/s vs ${int(s.singleRps)} for one pinned process = ${s.factor.toFixed(2)}x` +
    `${s.cpuPct === undefined ? '' : ` (its processes used ${s.cpuPct.toFixed(0)}% of one core)`}. ` +
    'On a 2-core machine the load generator, the upstream and etcd share the cores with the workers, so this understates what a second core gives a proxy alone on a machine.'
  );
}

export const LEGEND =
  'CPU % = CPU time of the process under test (nginx: master + worker; Junction --workers: every process of the tree; direct: the upstream) during the measured part, as % of one core; ' +
  'CPU µs/req = that CPU time per request, the figure least disturbed by the load generator or other work, and the one the goals are judged on. ' +
  'A proxy well below 100% CPU is limited by something else (the load core, or others on its core). ' +
  '"by CPU vs X" = X\'s CPU µs/req divided by this row\'s, i.e. the req/s ratio if each had one full core (> 1: this row is cheaper). The JSON also has the req/s ratios.';

export const COLUMNS: Column[] = [{ title: 'scenario' }, ...LOAD_COLUMNS, ...rightColumns(...REFERENCES.map((r) => `by CPU vs ${r.short}`))];

export function rows(results: readonly ScenarioResult[]): string[][] {
  return results.map((s) => {
    if (!s.result) return [s.label, s.skipped ? 'skipped' : 'failed', ...LOAD_COLUMNS.slice(1).map(() => ''), ...REFERENCES.map(() => '')];
    const r = s.result;
    return [
      s.label,
      int(r.rps),
      s.latencyCaveat ? 'n/a' : ms(r.latencyMs.p50),
      s.latencyCaveat ? 'n/a' : ms(r.latencyMs.p99),
      int(r.errors + r.timeouts),
      int(r.non2xx),
      s.cpu ? s.cpu.processPct.toFixed(0) : '-',
      s.cpu ? int(s.cpu.usPerRequest) : '-',
      ...REFERENCES.map((ref) => (s.id === ref.id ? 'ref' : x2(s.cpuRatios?.[ref.id]))),
    ];
  });
}

export function profileText(p: ProfileSummary): string {
  const top = p.top.slice(0, 15).map((e) => `  ${e.pct.toFixed(1).padStart(5)}%  ${e.name}  ${e.location}  <- ${e.topCaller}`);
  const mods = p.byModule.slice(0, 10).map((m) => `  ${m.pct.toFixed(1).padStart(5)}%  ${m.module}`);
  return [`Junction CPU profile (whole process life, start-up included): main thread ${p.idlePct}% idle; self time of the busy part, by function (<- main caller):`, ...top, 'by module:', ...mods].join('\n');
}

/** The chart of the report: every scenario, Junction's rows highlighted. */
export function throughputSvg(report: ThroughputReport): string {
  return loadChartSvg('Junction throughput bench', report.machine, loadLine(report), report.scenarios.map((s) => ({
    label: s.label,
    highlight: s.junction === true,
    ...(s.result ? { rps: s.result.rps, ...(s.latencyCaveat ? {} : { p99Ms: s.result.latencyMs.p99 }) } : { missing: s.skipped ? 'skipped' : 'failed' }),
    ...(s.cpu ? { cpuUsPerReq: s.cpu.usPerRequest } : {}),
  })));
}

function loadLine(report: ThroughputReport): string {
  return `autocannon ${report.load.connections} connections, ${report.load.warmupS} s warm-up + ${report.load.durationS} s measured, GET ${report.load.path}`;
}

export function throughputMarkdown(report: ThroughputReport, command: string, svgName: string): string {
  const m = report.machine;
  const lines = [
    ...reportHeader(
      'Throughput bench',
      command,
      m,
      `Load: ${loadLine(report)}, 20-byte body from a node:http upstream.`,
    ),
    markdownTable(COLUMNS, rows(report.scenarios)),
    '',
    `![Throughput bench: req/s, p99 ms and CPU µs per request per scenario, Junction highlighted](${svgName})`,
    '',
    LEGEND,
    '',
    ...report.scenarios.map((s) => `- **${s.label}**: ${s.what}${s.note ? ` — ${s.note}` : ''}${s.latencyCaveat ? ` — latency n/a: ${s.latencyCaveat}` : ''}${s.skipped ? ` — skipped: ${s.skipped}` : ''}${s.failed ? ` — failed: ${s.failed.split('\n')[0]}` : ''}`),
    '',
    ...roundLines(report.scenarios),
    ...goalLines(report.goals).map((l) => `${l}.`),
    '',
    scalingLine(report.scaling, report.scalingSkipped),
  ];
  if (report.profile) lines.push('', '```', profileText(report.profile), '```');
  return `${lines.join('\n')}\n`;
}

/** With several rounds: which round each row is, and every round's CPU µs/req (empty with one round). */
export function roundLines(scenarios: readonly ScenarioResult[]): string[] {
  const multi = scenarios.filter((s) => (s.roundsCpu?.length ?? 0) > 1);
  if (multi.length === 0) return [];
  const n = Math.max(...multi.map((s) => s.roundsCpu?.length ?? 0));
  return [
    `Rounds: ${n}, every scenario once per round, the order reversed every other round; each row is that scenario's median round by CPU µs/req. CPU µs/req per round, in run order:`,
    '',
    ...multi.map((s) => `- ${s.label}: ${(s.roundsCpu ?? []).map((c) => (c === undefined ? '-' : String(c))).join(' / ')}`),
    '',
  ];
}
