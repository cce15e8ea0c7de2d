import type { ProfileSummary } from './cpu-profile.js';
import { loadChartSvg, summaryRow } from './load-chart.js';
import { reportHeader, type MachineInfo } from './machine.js';
import { profileText } from './throughput-report.js';
import { disturbanceLine, type LoadAvgRange, type MeasuredRun, type RoundsLoad, type RunSummary } from './rounds.js';
import { int, LOAD_COLUMNS, markdownTable, ms, rightColumns, type Column } from './table.js';

export type ShadowKind = 'slow' | 'dead' | 'fast';

/** What happened to the copies during a scenario's runs (warm-up included), from `/api/v1/status` → tee. */
export interface TeeCounts {
  readonly offered: number;
  readonly sent: number;
  readonly droppedInflight: number;
  readonly droppedRate: number;
  readonly droppedBreaker: number;
  readonly completed: number;
  readonly failed: number;
  /** the shadow's mean latency over the copies completed in these runs, ms */
  readonly meanShadowMs: number | undefined;
}

/** What the shadow process itself saw during a scenario's runs. */
export interface ShadowSeen {
  readonly received: number;
  readonly marked: number;
  readonly maxInFlight: number;
}

/** A tee bench scenario as defined: what runs, and what it is compared with. */
export interface TeeScenarioDef {
  readonly id: string;
  readonly label: string;
  readonly what: string;
  readonly proxy: 'junction' | 'nginx';
  readonly shadow?: ShadowKind;
  /** the scenario the ratios are computed against */
  readonly baselineId?: string;
}

export interface TeeScenarioResult extends TeeScenarioDef {
  readonly skipped?: string;
  readonly failed?: string;
  readonly runs: readonly MeasuredRun[];
  readonly summary?: RunSummary;
  readonly copies?: TeeCounts;
  readonly shadowSeen?: ShadowSeen;
  /** req/s divided by the baseline's */
  readonly throughputRatio?: number;
  /** p99 divided by the baseline's */
  readonly p99Ratio?: number;
  /** CPU µs/req divided by the baseline's: what a request costs with the tee */
  readonly cpuRatio?: number;
  /** for the slow and dead shadows: both goals met */
  readonly goalMet?: boolean;
}

export interface TeeReport {
  readonly machine: MachineInfo;
  readonly load: RoundsLoad & { readonly path: string };
  readonly loadAvgDuringRuns?: LoadAvgRange;
  readonly scenarios: readonly TeeScenarioResult[];
  readonly goals: { readonly throughputRatio: number; readonly p99Ratio: number; readonly met?: boolean };
  /** CPU profiles of extra runs (BENCH_PROFILE=1, or auto when a goal is missed) */
  readonly profiles?: readonly TeeProfile[];
}

export interface TeeProfile {
  readonly id: string;
  readonly label: string;
  readonly profile: ProfileSummary;
}

const x2 = (r: number | undefined) => (r === undefined ? '-' : `${r.toFixed(2)}x`);
const opt = (n: number | undefined, f: (n: number) => string) => (n === undefined ? '-' : f(n));

export const MAIN_COLUMNS: Column[] = [{ title: 'scenario' }, ...LOAD_COLUMNS, ...rightColumns('per round', 'others % proxy/load core', 'req/s vs ref', 'p99 vs ref', 'CPU/req vs ref', 'goal')];

export function mainRows(scenarios: readonly TeeScenarioResult[]): string[][] {
  return scenarios.map((s) => {
    const m = s.summary;
    if (!m) return [s.label, s.skipped ? 'skipped' : 'failed', '', '', '', '', '', '', '', '', '', '', '', ''];
    return [
      `${s.label}${m.disturbed ? ' *' : ''}`,
      int(m.rps),
      ms(m.p50Ms),
      ms(m.p99Ms),
      int(m.errors),
      int(m.non2xx),
      opt(m.cpuPct, (n) => n.toFixed(0)),
      opt(m.cpuUsPerReq, (n) => n.toFixed(1)),
      s.runs.map((r) => opt(r.cpuUsPerReq, (n) => n.toFixed(0))).join(' / '),
      `${opt(m.othersOnProxyCorePctMax, (n) => n.toFixed(0))} / ${opt(m.othersOnLoadCorePctMax, (n) => n.toFixed(0))}`,
      s.baselineId ? x2(s.throughputRatio) : 'ref',
      s.baselineId ? x2(s.p99Ratio) : 'ref',
      s.baselineId ? x2(s.cpuRatio) : 'ref',
      s.goalMet === undefined ? '-' : s.goalMet ? 'met' : 'MISSED',
    ];
  });
}

export const COPY_COLUMNS: Column[] = [
  { title: 'copies (warm-up + measured)' },
  { title: 'offered', align: 'right' },
  { title: 'sent', align: 'right' },
  { title: 'dropped_inflight', align: 'right' },
  { title: 'dropped_breaker', align: 'right' },
  { title: 'completed', align: 'right' },
  { title: 'failed', align: 'right' },
  { title: 'shadow mean ms', align: 'right' },
  { title: 'shadow received', align: 'right' },
];

export function copyRows(scenarios: readonly TeeScenarioResult[]): string[][] {
  return scenarios
    .filter((s) => s.shadow !== undefined && s.summary !== undefined)
    .map((s) => {
      const c = s.copies;
      return [
        s.label,
        opt(c?.offered, int),
        opt(c?.sent, int),
        opt(c?.droppedInflight, int),
        opt(c?.droppedBreaker, int),
        opt(c?.completed, int),
        opt(c?.failed, int),
        opt(c?.meanShadowMs, (n) => n.toFixed(1)),
        s.shadow === 'dead' ? '(none listens)' : opt(s.shadowSeen?.received, int),
      ];
    });
}

export const LEGEND =
  'Each figure is the median of the rounds (JSON: every round; "per round": CPU µs/req of each round, in run order). CPU % / CPU µs/req: CPU time of the proxy process (nginx: master + worker) ' +
  'during the measured part, as % of one core and per request (from CPU % and the request count, 0.1 µs resolution). ' +
  '"others % proxy/load core" (worst round): the proxy core\'s busy % minus the proxy\'s own CPU %, and the load core\'s busy % minus every bench ' +
  'process on it: other people\'s work (the two vCPUs may be SMT siblings, so work on either slows the proxy); * marks rows above 10%. ' +
  '"vs ref": the Junction rows against "Junction, no tee", the nginx mirror row against "nginx, no mirror", same run. Copies: from Junction\'s ' +
  '/api/v1/status -> tee, counted over the warm-up and measured parts of every round ("offered" is every request the route took); ' +
  '"shadow received": what the shadow process saw.';

export function goalLines(r: TeeReport): string[] {
  const lines: string[] = [];
  for (const s of r.scenarios) {
    if (s.goalMet === undefined) continue;
    lines.push(
      `goal, ${s.shadow} shadow: Junction keeps ${x2(s.throughputRatio)} of its no-tee throughput (>= ${r.goals.throughputRatio}x) and ` +
        `${x2(s.p99Ratio)} of its no-tee p99 (<= ${r.goals.p99Ratio}x): ${s.goalMet ? 'met' : 'MISSED'}`,
    );
  }
  const n = r.scenarios.find((s) => s.id === 'nginx-mirror-slow');
  const nRef = r.scenarios.find((s) => s.id === 'nginx');
  if (n?.summary && nRef?.summary) {
    lines.push(
      `beside it, nginx mirror -> slow shadow: ${int(n.summary.rps)} req/s vs ${int(nRef.summary.rps)} without mirror (${x2(n.throughputRatio)}), ` +
        `p50 ${ms(n.summary.p50Ms)} ms vs ${ms(nRef.summary.p50Ms)}, p99 ${ms(n.summary.p99Ms)} ms vs ${ms(nRef.summary.p99Ms)} (${x2(n.p99Ratio)})`,
    );
  } else if (n?.skipped) {
    lines.push(`nginx rows skipped: ${n.skipped}`);
  }
  return lines;
}

/** The chart of the tee report: medians per scenario, Junction's rows highlighted beside nginx. */
export function teeSvg(r: TeeReport): string {
  const load = `autocannon ${r.load.connections} connections, ${r.load.warmupS} s warm-up + ${r.load.durationS} s measured, ${r.load.rounds} round(s), medians; GET ${r.load.path}`;
  return loadChartSvg('Junction tee bench (shadow traffic)', r.machine, load, r.scenarios.map((s) => summaryRow(s.label, s.proxy === 'junction', s.summary, s.skipped)), 1);
}

export function teeMarkdown(r: TeeReport, command: string, svgName: string): string {
  const m = r.machine;
  const lines = [
    ...reportHeader(
      'Tee bench (shadow traffic)',
      command,
      m,
      disturbanceLine(r),
      `Load: autocannon ${r.load.connections} connections, ${r.load.warmupS} s warm-up + ${r.load.durationS} s measured, ${r.load.rounds} round(s) per scenario, ` +
        `GET ${r.load.path}, 20-byte body from a node:http upstream. Access logs off (Junction and nginx).`,
    ),
    markdownTable(MAIN_COLUMNS, mainRows(r.scenarios)),
    '',
    `![Tee bench: req/s, p99 ms and CPU µs per request per scenario, Junction highlighted](${svgName})`,
    '',
    markdownTable(COPY_COLUMNS, copyRows(r.scenarios)),
    '',
    LEGEND,
    '',
    ...r.scenarios.map((s) => `- **${s.label}**: ${s.what}${s.skipped ? ` — skipped: ${s.skipped}` : ''}${s.failed ? ` — failed: ${s.failed.split('\n')[0]}` : ''}`),
    '',
    ...goalLines(r).map((l) => `${l[0]?.toUpperCase() ?? ''}${l.slice(1)}.`),
  ];
  for (const p of r.profiles ?? []) lines.push('', `Profile, ${p.label} (an extra run under node --cpu-prof):`, '', '```', profileText(p.profile), '```');
  return `${lines.join('\n')}\n`;
}
