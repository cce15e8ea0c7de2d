/** The soak bench's report: its JSON shape, the Markdown summary and the text lines it prints. */
import { reportHeader, type MachineInfo } from './machine.js';
import { figureSummary, mib, tableSamples, type SoakBounds, type SoakCheck, type SoakSample, type TeeOutcomeCounts } from './soak-eval.js';
import type { SoakAutocannonTotals, SoakLoadCounts } from './soak-types.js';
import { int, markdownTable, rightColumns, type Column } from './table.js';

export interface SoakSettings {
  /** seconds of steady load that are judged (the load runs `loadTailS` more, so the last sample is under load) */
  readonly seconds: number;
  readonly loadTailS: number;
  readonly rps: number;
  readonly connections: number;
  readonly path: string;
  readonly sampleEveryS: number;
  /** the sample at this second is the baseline of the fd and RSS bounds */
  readonly baselineS: number;
  readonly changeEveryMs: number;
  /** every this many seconds a throwaway route is added, or the previous one deleted */
  readonly throwawayEvery: number;
  readonly teeSpec: unknown;
  readonly deadShadow: string;
}

export interface SoakReport {
  readonly machine: MachineInfo;
  readonly command: string;
  readonly settings: SoakSettings;
  readonly bounds: SoakBounds;
  readonly samples: readonly SoakSample[];
  readonly load: SoakLoadCounts;
  readonly autocannon?: SoakAutocannonTotals;
  readonly changes: {
    readonly written: number;
    readonly weightChanges: number;
    readonly routesAdded: number;
    readonly routesDeleted: number;
    readonly errors: number;
    /** ticks whose change started more than one period late (the previous put was slow) */
    readonly late: number;
    readonly firstRevision: number;
    readonly lastWrittenRevision: number;
    readonly finalAppliedRevision: number | undefined;
  };
  readonly tee: TeeOutcomeCounts | undefined;
  readonly routeRequests: number | undefined;
  readonly accessLogBytes: number;
  readonly checks: readonly SoakCheck[];
  readonly pass: boolean;
}

const SAMPLE_COLUMNS: readonly Column[] = [
  { title: 'time' },
  ...rightColumns('RSS MiB', 'heap used MiB', 'open fds', 'applied rev', 'written rev', 'changes', 'responses', 'errors', 'timeouts', 'non-2xx'),
];

function clock(t: number): string {
  return `${Math.floor(t / 60)}:${String(t % 60).padStart(2, '0')}`;
}

export function sampleRow(s: SoakSample, baselineS: number): string[] {
  const what = s.idle ? ' (after the load)' : s.t === baselineS ? ' (baseline)' : '';
  return [
    `${clock(s.t)}${what}`,
    mib(s.rssBytes),
    mib(s.heapUsedBytes),
    s.fds === undefined ? '-' : String(s.fds),
    s.appliedRevision === undefined ? '-' : String(s.appliedRevision),
    String(s.writtenRevision),
    int(s.changes),
    int(s.load.responses),
    int(s.load.errors),
    int(s.load.timeouts),
    int(s.load.non2xx),
  ];
}

/** One progress line per sample. */
export function sampleLine(s: SoakSample): string {
  return (
    `  ${clock(s.t).padStart(6)}${s.idle ? ' idle' : ''}  RSS ${mib(s.rssBytes).padStart(6)} MiB  heap ${mib(s.heapUsedBytes).padStart(6)} MiB  fds ${String(s.fds ?? '-').padStart(4)}  ` +
    `rev ${s.appliedRevision ?? '-'}/${s.writtenRevision}  responses ${int(s.load.responses)}  errors ${s.load.errors}  timeouts ${s.load.timeouts}  non-2xx ${s.load.non2xx}`
  );
}

export function checkLines(checks: readonly SoakCheck[]): string[] {
  return checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'}  ${c.label}: ${c.detail}`);
}

export function soakMarkdown(r: SoakReport): string {
  const s = r.settings;
  const rows = tableSamples(r.samples, 60, s.baselineS).map((x) => sampleRow(x, s.baselineS));
  const tee = r.tee ?? {};
  const teeLine = Object.keys(tee).length
    ? Object.entries(tee)
        .filter(([, v]) => v !== 0)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(', ')
    : 'none read';
  const rss = figureSummary(r.samples, s.baselineS, (x) => x.rssBytes);
  const fds = figureSummary(r.samples, s.baselineS, (x) => x.fds);
  const heap = figureSummary(r.samples, s.baselineS, (x) => x.heapUsedBytes);
  const lines = [
    ...reportHeader(
      'Soak: steady load, a configuration change every second, a dead tee shadow',
      r.command,
      r.machine,
      `Load: autocannon at a fixed ${int(s.rps)} req/s (\`overallRate\`), ${s.connections} connections, GET ${s.path}, for ${s.seconds} s (+${s.loadTailS} s so the last sample is taken under load). ` +
        `Junction (access log on, to a file) routes it with a canary split whose weight changes every ${s.changeEveryMs / 1000} s through etcd, and tees 100% of it to a dead shadow (${s.deadShadow}, nothing listens); ` +
        `every ${s.throwawayEvery}th second a throwaway route (a new id each time) is added, or the one added before deleted. Samples every ${s.sampleEveryS} s; the baseline is the sample at ${s.baselineS} s.`,
      `Result: **${r.pass ? 'PASS' : 'FAIL'}**.`,
    ),
    '## Bounds',
    '',
    ...r.checks.map((c) => `- ${c.pass ? 'PASS' : '**FAIL**'} — ${c.label}: ${c.detail}`),
    '',
    '## Samples (one a minute, plus the baseline, the end and after the load)',
    '',
    markdownTable(SAMPLE_COLUMNS, rows),
    '',
    '## Totals',
    '',
    `- responses ${int(r.load.responses)}, socket errors ${int(r.load.errors)}, timeouts ${int(r.load.timeouts)}, non-2xx ${int(r.load.non2xx)}` +
      (r.autocannon ? ` (autocannon, 1 ms steps: ${int(r.autocannon.total)} requests, p50 ${r.autocannon.latencyP50} ms, p99 ${r.autocannon.latencyP99} ms, max ${r.autocannon.latencyMax} ms)` : ''),
    `- configuration changes: ${int(r.changes.written)} written (${int(r.changes.weightChanges)} split-weight flips, ${int(r.changes.routesAdded)} routes added, ${int(r.changes.routesDeleted)} deleted), ` +
      `${r.changes.errors} failed, ${r.changes.late} late; etcd revisions ${r.changes.firstRevision} -> ${r.changes.lastWrittenRevision} (the others are Junction's own status key), applied at the end ${r.changes.finalAppliedRevision ?? '-'}`,
    `- tee copies to the dead shadow (junction_tee_requests_total): ${teeLine}${r.routeRequests === undefined ? '' : `; requests on the route: ${int(r.routeRequests)}`}`,
    `- RSS MiB first / baseline / end / max: ${[rss.first, rss.baseline, rss.end, rss.max].map(mib).join(' / ')}; open fds: ${[fds.first, fds.baseline, fds.end, fds.max].map((v) => (v === undefined ? '-' : String(v))).join(' / ')}` +
      `; heap used MiB: ${[heap.first, heap.baseline, heap.end, heap.max].map(mib).join(' / ')} (end = the last sample under load)`,
    `- access log written: ${mib(r.accessLogBytes)} MiB`,
    '',
    'Chart: [soak.svg](soak.svg). Every sample is in soak.json (git-ignored).',
    '',
  ];
  return lines.join('\n');
}
