/**
 * The soak bench's pure logic: the samples it takes, the bounds it holds them to, and the
 * pass/fail of each bound (bench/soak.ts gathers, this judges). Also a tiny Prometheus text parser.
 */
import type { SoakLoadCounts } from './soak-types.js';

/** One reading of Junction, `t` seconds after the load started. */
export interface SoakSample {
  readonly t: number;
  /** VmRSS from /proc/<pid>/status, bytes */
  readonly rssBytes: number | undefined;
  /** entries of /proc/<pid>/fd */
  readonly fds: number | undefined;
  /** V8 heap used (nodejs_heap_size_used_bytes), bytes */
  readonly heapUsedBytes: number | undefined;
  /** `/api/v1/status` → revision: the applied configuration */
  readonly appliedRevision: number | undefined;
  /** the etcd revision of the last configuration change written by then */
  readonly writtenRevision: number;
  /** configuration changes written by then */
  readonly changes: number;
  /** cumulative load counts by then */
  readonly load: SoakLoadCounts;
  /** true for the reading taken after the load stopped (clients gone), not judged */
  readonly idle?: boolean;
}

export interface SoakBounds {
  /** fds at the end may exceed fds at the baseline by at most this many */
  readonly fdGrowth: number;
  /** RSS at the end may exceed RSS at the baseline by at most this many MiB */
  readonly rssGrowthMiB: number;
  /** the load must deliver at least this share of rps × the seconds it ran */
  readonly minDelivered: number;
}

export const DEFAULT_BOUNDS: SoakBounds = { fdGrowth: 20, rssGrowthMiB: 50, minDelivered: 0.9 };

/** `junction_tee_requests_total{route,backend=shadow}` by outcome. */
export type TeeOutcomeCounts = Readonly<Record<string, number>>;

export interface SoakInputs {
  readonly samples: readonly SoakSample[];
  /** the second of the run whose sample is the baseline (end of the warm-up) */
  readonly baselineS: number;
  readonly bounds: SoakBounds;
  /** final load counts */
  readonly load: SoakLoadCounts;
  /** rps × seconds the load ran */
  readonly targetRequests: number;
  readonly changesWritten: number;
  /** configuration writes that failed (etcd errors) */
  readonly changeErrors: number;
  readonly lastWrittenRevision: number;
  /** read after the last change had time to apply */
  readonly finalAppliedRevision: number | undefined;
  /** at the end, after in-flight copies had time to end */
  readonly tee: TeeOutcomeCounts | undefined;
  /** requests Junction counted on the teed route (junction_http_requests_total{route}) */
  readonly routeRequests: number | undefined;
}

export interface SoakCheck {
  readonly id: string;
  readonly label: string;
  readonly pass: boolean;
  readonly detail: string;
}

const MiB = 2 ** 20;
export const mib = (bytes: number | undefined): string => (bytes === undefined ? '-' : (bytes / MiB).toFixed(1));

/** The sample that ends the warm-up: the first at or after `baselineS` (judged samples only). */
export function baselineSample(samples: readonly SoakSample[], baselineS: number): SoakSample | undefined {
  return samples.find((s) => !s.idle && s.t >= baselineS);
}

/** The last sample taken under load. */
export function endSample(samples: readonly SoakSample[]): SoakSample | undefined {
  return [...samples].reverse().find((s) => !s.idle);
}

/** The baseline second for a run: the end of the first minute, or half a short run (a whole sample step, at least one step). */
export function baselineSecond(seconds: number, sampleEveryS: number): number {
  const half = Math.floor(seconds / 2 / sampleEveryS) * sampleEveryS;
  return Math.max(sampleEveryS, Math.min(60, half));
}

/** The samples to tabulate: every `everyS` seconds, plus the first, the baseline, the last under load and the idle one. */
export function tableSamples(samples: readonly SoakSample[], everyS: number, baselineS: number): SoakSample[] {
  const end = endSample(samples);
  return samples.filter((s, i) => i === 0 || s.idle === true || s === end || s.t % everyS === 0 || s.t === baselineS);
}

/** First, baseline, end (under load) and highest of one figure, for the report. */
export function figureSummary(samples: readonly SoakSample[], baselineS: number, pick: (s: SoakSample) => number | undefined) {
  const judged = samples.filter((s) => !s.idle);
  const base = baselineSample(samples, baselineS);
  const end = endSample(samples);
  const values = judged.flatMap((s) => {
    const v = pick(s);
    return v === undefined ? [] : [v];
  });
  return {
    first: judged[0] ? pick(judged[0]) : undefined,
    baseline: base ? pick(base) : undefined,
    end: end ? pick(end) : undefined,
    max: values.length > 0 ? Math.max(...values) : undefined,
  };
}

export const TEE_FAILED = ['failed', 'dropped_inflight', 'dropped_rate', 'dropped_breaker'] as const;

/** In flight at the moment of reading: sent copies that have not completed or failed. */
export function teeInFlight(t: TeeOutcomeCounts): number {
  return (t['sent'] ?? 0) - (t['completed'] ?? 0) - (t['failed'] ?? 0);
}

/** Copies offered: sent, dropped or skipped. */
export function teeOffered(t: TeeOutcomeCounts): number {
  return Object.entries(t)
    .filter(([k]) => k === 'sent' || k.startsWith('dropped_') || k.startsWith('skipped_'))
    .reduce((n, [, v]) => n + v, 0);
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Every bound of the soak, passed or not. */
export function evaluateSoak(x: SoakInputs): SoakCheck[] {
  const checks: SoakCheck[] = [];
  const add = (id: string, label: string, pass: boolean, detail: string) => checks.push({ id, label, pass, detail });
  const base = baselineSample(x.samples, x.baselineS);
  const end = endSample(x.samples);

  add('errors', 'no socket errors', x.load.errors === 0, `${int(x.load.errors)} errors`);
  add('timeouts', 'no timeouts', x.load.timeouts === 0, `${int(x.load.timeouts)} timeouts`);
  add('non2xx', 'no non-2xx responses', x.load.non2xx === 0, `${int(x.load.non2xx)} non-2xx of ${int(x.load.responses)} responses`);
  const delivered = x.targetRequests > 0 ? x.load.responses / x.targetRequests : 0;
  add(
    'delivered',
    `the load was delivered (>= ${Math.round(x.bounds.minDelivered * 100)}% of the planned requests)`,
    delivered >= x.bounds.minDelivered,
    `${int(x.load.responses)} responses of ${int(x.targetRequests)} planned (${(delivered * 100).toFixed(1)}%)`,
  );

  if (!base || !end || base === end || base.fds === undefined || end.fds === undefined) {
    add('fds', `open fds at the end <= baseline + ${x.bounds.fdGrowth}`, false, 'no baseline or end sample of the fd count');
  } else {
    const growth = end.fds - base.fds;
    add('fds', `open fds at the end <= baseline + ${x.bounds.fdGrowth}`, growth <= x.bounds.fdGrowth, `${base.fds} at ${base.t} s -> ${end.fds} at ${end.t} s (${growth >= 0 ? '+' : ''}${growth})`);
  }
  if (!base || !end || base === end || base.rssBytes === undefined || end.rssBytes === undefined) {
    add('rss', `RSS growth after the warm-up <= ${x.bounds.rssGrowthMiB} MiB`, false, 'no baseline or end sample of RSS');
  } else {
    const growth = (end.rssBytes - base.rssBytes) / MiB;
    add(
      'rss',
      `RSS growth after the warm-up <= ${x.bounds.rssGrowthMiB} MiB`,
      growth <= x.bounds.rssGrowthMiB,
      `${mib(base.rssBytes)} MiB at ${base.t} s -> ${mib(end.rssBytes)} MiB at ${end.t} s (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB)`,
    );
  }

  add(
    'changes',
    'every configuration change written',
    x.changesWritten > 0 && x.changeErrors === 0,
    `${int(x.changesWritten)} changes written, ${x.changeErrors} failed`,
  );
  const applied = x.finalAppliedRevision;
  add(
    'revision',
    'the last change applied (applied revision = last written revision)',
    applied !== undefined && applied === x.lastWrittenRevision,
    `applied ${applied ?? '-'}, last written ${x.lastWrittenRevision}`,
  );

  if (!x.tee) {
    add('tee', 'dead-shadow copies counted as failed/dropped, none in flight', false, 'no junction_tee_requests_total for the route');
  } else {
    const t = x.tee;
    const failedOrDropped = TEE_FAILED.reduce((n, k) => n + (t[k] ?? 0), 0);
    const inFlight = teeInFlight(t);
    const completed = t['completed'] ?? 0;
    add(
      'tee',
      'dead-shadow copies counted as failed/dropped, none in flight',
      failedOrDropped > 0 && completed === 0 && inFlight === 0,
      `${TEE_FAILED.map((k) => `${k} ${int(t[k] ?? 0)}`).join(', ')}; completed ${int(completed)}; in flight ${int(inFlight)}`,
    );
    if (x.routeRequests !== undefined) {
      const offered = teeOffered(t);
      add('tee-accounted', 'every request on the route offered a copy (sent + dropped + skipped = requests)', offered === x.routeRequests, `${int(offered)} copies offered, ${int(x.routeRequests)} requests on the route`);
    }
  }
  return checks;
}

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition (no timestamps needed); comments and blank lines are skipped. */
export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] === undefined || m[4] === undefined) continue;
    const labels: Record<string, string> = {};
    const body = m[3] ?? '';
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = re.exec(body); l; l = re.exec(body)) {
      if (l[1] !== undefined) labels[l[1]] = (l[2] ?? '').replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include every pair of `where`; undefined when none. */
export function promSum(samples: readonly PromSample[], name: string, where: Readonly<Record<string, string>> = {}): number | undefined {
  let sum: number | undefined;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
    sum = (sum ?? 0) + s.value;
  }
  return sum;
}

/** `name` summed by one label's values, e.g. tee outcomes. */
export function promByLabel(samples: readonly PromSample[], name: string, label: string, where: Readonly<Record<string, string>> = {}): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
    const key = s.labels[label];
    if (key !== undefined) out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
