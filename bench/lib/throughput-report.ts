import type { CpuWindow } from './cpu-usage.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { LoadResult } from './load.js';
import { reportHeader, type MachineInfo } from './machine.js';
import { int, LOAD_COLUMNS, markdownTable, ms, rightColumns, type Column } from './table.js';

export interface ScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly what: string;
  readonly latencyCaveat?: string;
  readonly skipped?: string;
  readonly failed?: string;
  readonly result?: LoadResult;
  /** CPU of the proxy process(es) and of each core during the measured part */
  readonly cpu?: CpuWindow;
  /** whole-machine busy % in the second before the run (others' work skews the figures) */
  readonly busyBeforePct?: number;
  readonly ratioToHttpProxy3?: number;
  /** http-proxy-3's CPU µs/req divided by this scenario's: the same ratio, normalized to one full core */
  readonly cpuRatioToHttpProxy3?: number;
  readonly note?: string;
}

export interface ThroughputReport {
  readonly machine: MachineInfo;
  readonly load: { readonly tool: string; readonly connections: number; readonly durationS: number; readonly warmupS: number; readonly path: string };
  readonly scenarios: readonly ScenarioResult[];
  readonly goal: { readonly ratio: number; readonly junctionRatio?: number; readonly met?: boolean };
  readonly profile?: ProfileSummary;
}

export const LEGEND =
  'CPU % = CPU time of the process under test (nginx: master + worker; direct: the upstream) during the measured part, as % of one core; ' +
  'CPU µs/req = that CPU time per request, the figure least disturbed by the load generator or other work. ' +
  'A proxy well below 100% CPU is limited by something else (the load core, or others on its core). ' +
  '"vs http-proxy-3" compares req/s (the goal\'s figure); "by CPU/req" compares CPU per request, i.e. req/s on one fully used core.';

export const COLUMNS: Column[] = [{ title: 'scenario' }, ...LOAD_COLUMNS, ...rightColumns('vs http-proxy-3', 'by CPU/req')];

export function rows(results: readonly ScenarioResult[]): string[][] {
  return results.map((s) => {
    if (!s.result) return [s.label, s.skipped ? 'skipped' : 'failed', '', '', '', '', '', '', '', ''];
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
      s.ratioToHttpProxy3 === undefined ? '-' : `${s.ratioToHttpProxy3.toFixed(2)}x`,
      s.cpuRatioToHttpProxy3 === undefined ? '-' : `${s.cpuRatioToHttpProxy3.toFixed(2)}x`,
    ];
  });
}

export function profileText(p: ProfileSummary): string {
  const top = p.top.slice(0, 15).map((e) => `  ${e.pct.toFixed(1).padStart(5)}%  ${e.name}  ${e.location}  <- ${e.topCaller}`);
  const mods = p.byModule.slice(0, 10).map((m) => `  ${m.pct.toFixed(1).padStart(5)}%  ${m.module}`);
  return [`Junction CPU profile (whole process life, start-up included): main thread ${p.idlePct}% idle; self time of the busy part, by function (<- main caller):`, ...top, 'by module:', ...mods].join('\n');
}

export function throughputMarkdown(report: ThroughputReport, command: string): string {
  const m = report.machine;
  const lines = [
    ...reportHeader(
      'Throughput bench',
      command,
      m,
      `Load: autocannon ${report.load.connections} connections, ${report.load.warmupS} s warm-up + ${report.load.durationS} s measured, GET ${report.load.path}, 20-byte body from a node:http upstream.`,
    ),
    markdownTable(COLUMNS, rows(report.scenarios)),
    '',
    LEGEND,
    '',
    ...report.scenarios.map((s) => `- **${s.label}**: ${s.what}${s.note ? ` — ${s.note}` : ''}${s.latencyCaveat ? ` — latency n/a: ${s.latencyCaveat}` : ''}${s.skipped ? ` — skipped: ${s.skipped}` : ''}${s.failed ? ` — failed: ${s.failed.split('\n')[0]}` : ''}`),
    '',
    report.goal.junctionRatio === undefined
      ? `Goal: Junction >= ${report.goal.ratio}x http-proxy-3 — not measured in this run.`
      : `Goal: Junction >= ${report.goal.ratio}x http-proxy-3 — measured ${report.goal.junctionRatio.toFixed(2)}x: ${report.goal.met ? 'met' : 'missed'}.`,
  ];
  if (report.profile) lines.push('', '```', profileText(report.profile), '```');
  return `${lines.join('\n')}\n`;
}
