import type { ProfileSummary } from './cpu-profile.js';
import { reportHeader, type MachineInfo } from './machine.js';
import { DISTURBED_PCT, median } from './rounds.js';
import { int, markdownTable, ms, rightColumns, textTable, type Column } from './table.js';
import { profileText } from './throughput-report.js';
import type { ToolResult } from './tls-load.js';
import type { CertLoad, Rotation, SniMicro } from './tls-scale.js';

export type TlsProxy = 'junction' | 'nginx' | 'caddy';
/** h2: h2load over TLS; h1: wrk, TLS or plain; full / resumed: a new TLS connection per request */
export type TlsPart = 'h2' | 'h1' | 'full' | 'resumed';

export interface TlsScenarioDef {
  readonly id: string;
  readonly label: string;
  readonly part: TlsPart;
  readonly proxy: TlsProxy;
  /** false: the plain HTTP/1.1 listener (the reference of the TLS row) */
  readonly tls: boolean;
  readonly what: string;
}

/** One measured part of one scenario. */
export interface TlsRun {
  readonly round: number;
  readonly result: ToolResult;
  /** CPU of the process under test, % of one core */
  readonly cpuPct: number | undefined;
  /** CPU µs per request (handshake runs: per connection), 0.1 µs */
  readonly cpuUsPerReq: number | undefined;
  readonly corePct: readonly number[] | undefined;
  readonly othersOnProxyCorePct: number | undefined;
  readonly othersOnLoadCorePct: number | undefined;
  readonly busyBeforePct: number | undefined;
  readonly loadAvg1: number;
}

export interface TlsSummary {
  readonly rounds: number;
  readonly rps: number;
  readonly cpuPct: number | undefined;
  readonly cpuUsPerReq: number | undefined;
  /** 1e6 / cpuUsPerReq: requests (or handshakes) per second one core would carry */
  readonly perCore: number | undefined;
  readonly meanMs: number;
  readonly p99Ms: number | undefined;
  readonly errors: number;
  readonly non2xx: number;
  /** handshake runs: share of connections that resumed a session, % */
  readonly reusedPct: number | undefined;
  readonly handshakeP50Ms: number | undefined;
  readonly othersOnProxyCorePctMax: number | undefined;
  readonly othersOnLoadCorePctMax: number | undefined;
  readonly disturbed: boolean;
}

export interface TlsScenarioResult extends TlsScenarioDef {
  readonly skipped?: string;
  readonly failed?: string;
  readonly runs: readonly TlsRun[];
  readonly summary?: TlsSummary;
}

export interface TlsGoal {
  readonly id: string;
  readonly what: string;
  /** the measured figure (a ratio, or ms) */
  readonly value: number | undefined;
  readonly limit: number;
  readonly unit: 'x' | 'ms';
  readonly met: boolean | undefined;
  readonly note?: string;
}

export interface CertsPart {
  readonly sizes: readonly number[];
  readonly loads: readonly CertLoad[];
  readonly rotations: readonly Rotation[];
  /** full handshakes naming 10 certificates spread over each set: the SNI lookup end to end */
  readonly sniHandshakes: ReadonlyArray<{ readonly certs: number; readonly names: readonly string[]; readonly runs: readonly TlsRun[]; readonly summary: TlsSummary | undefined }>;
  readonly micro: SniMicro | undefined;
  readonly mintMs: number;
  readonly writeMs: number;
}

export interface TlsReport {
  readonly machine: MachineInfo;
  readonly tools: Record<string, string>;
  readonly load: {
    readonly rounds: number;
    readonly connections: number;
    readonly streams: number;
    readonly warmupS: number;
    readonly durationS: number;
    readonly handshake: { readonly concurrency: number; readonly warmupS: number; readonly durationS: number };
    readonly path: string;
  };
  readonly loadAvgDuringRuns?: { readonly min: number; readonly max: number };
  readonly scenarios: readonly TlsScenarioResult[];
  readonly certs?: CertsPart;
  readonly goals: readonly TlsGoal[];
  readonly profiles?: ReadonlyArray<{ readonly id: string; readonly label: string; readonly rps: number; readonly profile: ProfileSummary }>;
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

export function summarizeTls(runs: readonly TlsRun[]): TlsSummary | undefined {
  if (runs.length === 0) return undefined;
  const defined = (xs: ReadonlyArray<number | undefined>) => xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
  const med = (xs: ReadonlyArray<number | undefined>) => {
    const d = defined(xs);
    return d.length > 0 ? median(d) : undefined;
  };
  const cpuUs = med(runs.map((r) => r.cpuUsPerReq));
  const others = defined(runs.map((r) => r.othersOnProxyCorePct));
  const othersLoad = defined(runs.map((r) => r.othersOnLoadCorePct));
  const othersMax = others.length ? Math.max(...others) : undefined;
  const othersLoadMax = othersLoad.length ? Math.max(...othersLoad) : undefined;
  const reused = runs.every((r) => r.result.reused !== undefined) ? med(runs.map((r) => (r.result.total > 0 ? ((r.result.reused ?? 0) / r.result.total) * 100 : 0))) : undefined;
  const p99 = med(runs.map((r) => r.result.latencyMs.p99));
  const cpuPct = med(runs.map((r) => r.cpuPct));
  const hs = med(runs.map((r) => r.result.handshakeMs?.p50));
  return {
    rounds: runs.length,
    rps: Math.round(median(runs.map((r) => r.result.rps))),
    cpuPct: cpuPct === undefined ? undefined : r1(cpuPct),
    cpuUsPerReq: cpuUs === undefined ? undefined : r1(cpuUs),
    perCore: cpuUs ? Math.round(1e6 / cpuUs) : undefined,
    meanMs: r2(median(runs.map((r) => r.result.latencyMs.mean))),
    p99Ms: p99 === undefined ? undefined : r2(p99),
    errors: runs.reduce((a, r) => a + r.result.errors, 0),
    non2xx: runs.reduce((a, r) => a + r.result.non2xx, 0),
    reusedPct: reused === undefined ? undefined : r1(reused),
    handshakeP50Ms: hs === undefined ? undefined : r2(hs),
    othersOnProxyCorePctMax: othersMax,
    othersOnLoadCorePctMax: othersLoadMax,
    disturbed: (othersMax ?? 0) > DISTURBED_PCT || (othersLoadMax ?? 0) > DISTURBED_PCT,
  };
}

/** CPU µs/req of `a` over `b` (medians), 2 decimals. */
export function cpuRatio(a: TlsScenarioResult | undefined, b: TlsScenarioResult | undefined): number | undefined {
  const x = a?.summary?.cpuUsPerReq;
  const y = b?.summary?.cpuUsPerReq;
  return x !== undefined && y ? r2(x / y) : undefined;
}

const PART_TITLE: Record<TlsPart, string> = {
  h2: 'HTTP/2 over TLS (h2load)',
  h1: 'HTTP/1.1, TLS vs plain (wrk)',
  full: 'full TLS handshakes, a new connection per request (no resumption)',
  resumed: 'TLS session resumption, a new connection per request',
};

const COLUMNS: Column[] = [
  { title: 'scenario' },
  ...rightColumns('req/s', 'mean ms', 'p99 ms', 'errors', 'non-2xx', 'CPU %', 'CPU µs/req', 'per round', '/s per core', 'resumed %', 'others % proxy/load'),
];

function rowsOf(scenarios: readonly TlsScenarioResult[]): string[][] {
  return scenarios.map((s) => {
    const m = s.summary;
    if (!m) return [s.label, s.skipped ? `skipped: ${s.skipped}` : `failed: ${s.failed ?? '?'}`];
    const handshakes = s.part === 'full' || s.part === 'resumed';
    return [
      `${s.label}${m.disturbed ? ' *' : ''}`,
      int(m.rps),
      ms(m.meanMs),
      m.p99Ms === undefined ? '-' : ms(m.p99Ms),
      int(m.errors),
      int(m.non2xx),
      m.cpuPct === undefined ? '-' : m.cpuPct.toFixed(0),
      m.cpuUsPerReq === undefined ? '-' : m.cpuUsPerReq.toFixed(1),
      s.runs.map((r) => (r.cpuUsPerReq === undefined ? '-' : r.cpuUsPerReq.toFixed(0))).join(' / '),
      m.perCore === undefined ? '-' : int(m.perCore),
      handshakes && m.reusedPct !== undefined ? m.reusedPct.toFixed(0) : '-',
      `${m.othersOnProxyCorePctMax === undefined ? '-' : m.othersOnProxyCorePctMax.toFixed(0)} / ${m.othersOnLoadCorePctMax === undefined ? '-' : m.othersOnLoadCorePctMax.toFixed(0)}`,
    ];
  });
}

export const LEGEND =
  'Medians of the rounds ("per round": CPU µs/req of each round, in run order). CPU µs/req: CPU time of the process under test (nginx: master + ' +
  'worker) during the measured part per request — for the handshake rows per connection (handshake + one request + close). "/s per core" = ' +
  '1e6 / CPU µs/req: what one core would carry at that cost (req/s itself is bounded by the load core when the proxy is below 100% CPU). ' +
  'mean ms: h2load gives no percentiles (p99 "-"). "others % proxy/load" (worst round): other processes\' work on the proxy core and on the load core; ' +
  `* marks rows above ${DISTURBED_PCT}%.`;

function certsLines(c: CertsPart): string[] {
  const lines: string[] = [];
  const loadCols: Column[] = [
    { title: 'certificates' },
    ...rightColumns('listening ms', 'ready ms', 'startedAt->appliedAt ms', 'RSS MiB', 'serving', 'admin PUT -> served p50 / p99 / max ms', 'PUT answered p50 ms', 'etcd put -> served p50 / p99 / max ms', 'handshake CPU µs (rounds)', 'handshake p50 ms'),
  ];
  const rows = c.sizes.map((n) => {
    const l = c.loads.find((x) => x.certs === n);
    const r = c.rotations.find((x) => x.certs === n && x.via === 'admin');
    const e = c.rotations.find((x) => x.certs === n && x.via === 'etcd');
    const h = c.sniHandshakes.find((x) => x.certs === n);
    return [
      int(n),
      l ? String(l.listeningMs) : '-',
      l ? String(l.readyMs) : '-',
      l?.internalMs === undefined ? '-' : String(l.internalMs),
      l?.rssMiB === undefined ? '-' : String(l.rssMiB),
      l ? int(l.serving) : '-',
      r ? `${ms(r.served.p50)} / ${ms(r.served.p99)} / ${ms(r.served.max)}` : '-',
      r ? ms(r.put.p50) : '-',
      e ? `${ms(e.served.p50)} / ${ms(e.served.p99)} / ${ms(e.served.max)}` : '-',
      h?.summary?.cpuUsPerReq === undefined ? '-' : `${h.summary.cpuUsPerReq.toFixed(0)} (${h.runs.map((x) => x.cpuUsPerReq?.toFixed(0) ?? '-').join(' / ')})`,
      h?.summary?.handshakeP50Ms === undefined ? '-' : ms(h.summary.handshakeP50Ms),
    ];
  });
  lines.push(textTable(loadCols, rows));
  const m = c.micro;
  if (m) {
    lines.push(
      `SNI lookup alone (CertIndex.pick, ${m.rounds} rounds of ${int(m.picksPerRound)} picks, medians): 10 certificates ${m.small.ns} ns; ` +
        `${int(m.largeCerts)} certificates, 10 names ${m.largeTen.ns} ns (${r2(m.largeTen.ns / m.small.ns)}x), ${int(m.spreadNames)} names spread ${m.largeSpread.ns} ns (${r2(m.largeSpread.ns / m.small.ns)}x); ` +
        `index build ${m.buildMs.small} / ${m.buildMs.large} ms`,
    );
  }
  lines.push(`(${int(Math.max(...c.sizes))} leaves minted in ${c.mintMs} ms, written to etcd in ${c.writeMs} ms)`);
  return lines;
}

const profileWhat = (rps: number) => (rps > 0 ? `an extra run under node --cpu-prof, ${int(rps)} req/s` : 'under node --cpu-prof');

export function goalText(g: TlsGoal): string {
  const v = g.value === undefined ? 'n/a' : g.unit === 'x' ? `${g.value.toFixed(2)}x` : `${g.value.toFixed(1)} ms`;
  const limit = g.unit === 'x' ? `${g.limit}x` : `${g.limit} ms`;
  return `${g.what}: ${v} (goal ${g.id.startsWith('load') || g.id.startsWith('rotation') ? '<' : '≤'} ${limit}): ${g.met === undefined ? 'not measured' : g.met ? 'met' : 'NOT met'}${g.note ? ` — ${g.note}` : ''}`;
}

/** The printed report: one table per part, the certificates, the goals. */
export function tlsText(r: TlsReport): string {
  const out: string[] = [];
  for (const part of ['h2', 'h1', 'full', 'resumed'] as const) {
    const ss = r.scenarios.filter((s) => s.part === part);
    if (ss.length === 0) continue;
    out.push('', PART_TITLE[part], textTable(COLUMNS, rowsOf(ss)));
  }
  if (r.scenarios.length > 0) out.push(LEGEND);
  if (r.certs) out.push('', 'certificates at scale (Junction alone, TLS listener on; handshake rows: full handshakes naming 10 certificates spread over the set)', ...certsLines(r.certs));
  out.push('', 'Goals:', ...r.goals.map((g) => `- ${goalText(g)}`));
  for (const p of r.profiles ?? []) out.push('', `${p.label} (${profileWhat(p.rps)}): ${profileText(p.profile)}`);
  return out.join('\n');
}

export function tlsMarkdown(r: TlsReport, command: string): string {
  const la = r.loadAvgDuringRuns;
  const lines = [
    ...reportHeader(
      'TLS bench',
      command,
      r.machine,
      `Tools: ${Object.entries(r.tools).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
      `Load: h2load -t1 -c${r.load.connections} -m${r.load.streams}, wrk -t1 -c${r.load.connections} (keep-alive), ${r.load.warmupS} s warm-up + ${r.load.durationS} s measured; ` +
        `handshakes: ${r.load.handshake.concurrency} loops of new TLS connections (one GET each, Connection: close), ${r.load.handshake.warmupS} s + ${r.load.handshake.durationS} s; ` +
        `${r.load.rounds} round(s) per scenario, order reversed every other round; GET ${r.load.path}, 20-byte body from a node:http upstream.` +
        `${la ? ` Load average ${la.min}–${la.max} during the runs.` : ''}`,
    ),
  ];
  for (const part of ['h2', 'h1', 'full', 'resumed'] as const) {
    const ss = r.scenarios.filter((s) => s.part === part);
    if (ss.length === 0) continue;
    lines.push(`## ${PART_TITLE[part]}`, '', markdownTable(COLUMNS, rowsOf(ss)), '', ...ss.map((s) => `- **${s.label}**: ${s.what}`), '');
  }
  if (r.scenarios.length > 0) lines.push(LEGEND, '');
  if (r.certs) lines.push('## Certificates at scale', '', '```', ...certsLines(r.certs), '```', '');
  lines.push('## Goals', '', ...r.goals.map((g) => `- ${goalText(g)}`), '');
  for (const p of r.profiles ?? []) lines.push(`Profile, ${p.label} (${profileWhat(p.rps)}):`, '', '```', profileText(p.profile), '```', '');
  return `${lines.join('\n')}`;
}
