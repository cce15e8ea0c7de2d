/**
 * `npm run bench -- filters`: the request-path cost of a route's filter chain. Four Junctions (one
 * per configuration, started afresh for every run on the proxy core), the same upstream and load:
 *  - no filters;
 *  - one cheap built-in: `headers` setting one request header;
 *  - three built-ins: `headers` + `strip-prefix` + `rate-limit` (a huge rps: nothing is limited);
 *  - the same three + `cors` (the request carries an allowed Origin, so the response phase adds
 *    Access-Control-Allow-Origin and Vary).
 * Measured in BENCH_FILTERS_ROUNDS alternating rounds (order reversed every other round); the
 * figure is Junction's CPU µs/req and its difference to the no-filter route.
 * BENCH_PROFILE=1 adds one run of each under `node --cpu-prof` (top functions printed).
 * Writes bench/results/filters.json and filters.md.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { summarizeProfile, type ProfileSummary } from './lib/cpu-profile.js';
import type { BenchPaths } from './lib/bench-paths.js';
import { startBenchEtcd, type BenchEtcd } from './lib/etcd-server.js';
import { Poller } from './lib/http-get.js';
import { loadChartSvg, summaryRow } from './lib/load-chart.js';
import { junctionStatus, startReadyJunction, type JunctionProc } from './lib/junction-process.js';
import { runLoad, type LoadRequest } from './lib/load.js';
import { busyWarning, machineInfo, machineLine, reportHeader, type MachineInfo } from './lib/machine.js';
import { startUpstream, type NodeChild } from './lib/node-child.js';
import type { BenchOptions } from './lib/options.js';
import type { ProcessGroup } from './lib/process-group.js';
import { writeResult } from './lib/results.js';
import { disturbanceLine, intEnv, loadAvgRange, measureOnce, type LoadAvgRange, type RoundsLoad, summarizeRuns, type LoadTarget, type MeasuredRun, type RunSummary } from './lib/rounds.js';
import { int, LOAD_COLUMNS, markdownTable, ms, rightColumns, textTable, type Column } from './lib/table.js';
import { profileText } from './lib/throughput-report.js';
import { sleep } from './lib/time.js';

const LOAD_PATH = '/api/items/42';
const ORIGIN = 'https://app.example';
const ROUTE_ID = 'main';

/** The filter documents every configuration may use (`P/filters/<id>`). */
const FILTERS: Record<string, { type: string; config: Record<string, unknown> }> = {
  hdr: { type: 'headers', config: { request: { set: { 'x-bench': '1' } } } },
  strip: { type: 'strip-prefix', config: { prefix: '/api' } },
  limit: { type: 'rate-limit', config: { rps: 1_000_000_000, burst: 1_000_000_000, key: 'ip' } },
  cors: { type: 'cors', config: { allowOrigins: [ORIGIN] } },
};

interface FilterScenarioDef {
  readonly id: string;
  readonly label: string;
  readonly filters: readonly string[];
  readonly what: string;
}

const SCENARIOS: readonly FilterScenarioDef[] = [
  { id: 'none', label: 'no filters', filters: [], what: 'route / -> upstream, no `filters` (the reference)' },
  { id: 'one', label: 'headers', filters: ['hdr'], what: '`headers` setting one request header (x-bench: 1): one cheap request filter' },
  {
    id: 'three',
    label: 'headers + strip-prefix + rate-limit',
    filters: ['hdr', 'strip', 'limit'],
    what: 'three built-ins: the header, strip-prefix /api (the upstream gets /items/42), rate-limit keyed by ip with rps = burst = 1e9 (never limits)',
  },
  {
    id: 'three-cors',
    label: 'the three + cors',
    filters: ['hdr', 'strip', 'limit', 'cors'],
    what: `the same three plus cors allowing ${ORIGIN} (the request's Origin): the response phase adds Access-Control-Allow-Origin and Vary`,
  },
];

export interface FilterScenarioResult {
  readonly id: string;
  readonly label: string;
  readonly filters: readonly string[];
  readonly what: string;
  readonly runs: readonly MeasuredRun[];
  readonly summary?: RunSummary;
  /** CPU µs/req minus the no-filter route's: the chain's cost per request */
  readonly chainCostUs?: number;
  /** the same, per round (the rounds of both are paired): shows the noise */
  readonly chainCostUsPerRound?: readonly number[];
}

export interface FiltersReport {
  readonly machine: MachineInfo;
  readonly load: RoundsLoad & { readonly request: LoadRequest };
  readonly filterDocs: typeof FILTERS;
  readonly loadAvgDuringRuns?: LoadAvgRange;
  readonly scenarios: readonly FilterScenarioResult[];
  /** BENCH_PROFILE=1: one more run of each configuration under node --cpu-prof */
  readonly profiles?: ReadonlyArray<{ readonly id: string; readonly label: string; readonly rps: number; readonly profile: ProfileSummary }>;
}

const COLUMNS: Column[] = [{ title: 'route filters' }, ...LOAD_COLUMNS, ...rightColumns('per round', 'chain cost µs/req', 'others % proxy/load core')];

function rows(scenarios: readonly FilterScenarioResult[]): string[][] {
  return scenarios.map((s) => {
    const m = s.summary;
    if (!m) return [s.label, 'failed', '', '', '', '', '', '', '', '', ''];
    return [
      `${s.label}${m.disturbed ? ' *' : ''}`,
      int(m.rps),
      ms(m.p50Ms),
      ms(m.p99Ms),
      int(m.errors),
      int(m.non2xx),
      m.cpuPct === undefined ? '-' : m.cpuPct.toFixed(0),
      m.cpuUsPerReq === undefined ? '-' : m.cpuUsPerReq.toFixed(1),
      s.runs.map((r) => (r.cpuUsPerReq === undefined ? '-' : r.cpuUsPerReq.toFixed(1))).join(' / '),
      s.filters.length === 0 ? 'ref' : s.chainCostUs === undefined ? '-' : `${s.chainCostUs >= 0 ? '+' : ''}${s.chainCostUs.toFixed(1)}`,
      `${m.othersOnProxyCorePctMax === undefined ? '-' : m.othersOnProxyCorePctMax.toFixed(0)} / ${m.othersOnLoadCorePctMax === undefined ? '-' : m.othersOnLoadCorePctMax.toFixed(0)}`,
    ];
  });
}

const LEGEND =
  'Each figure is the median of the rounds ("per round": CPU µs/req of each round, in run order). CPU µs/req: Junction\'s CPU time during ' +
  'the measured part per request (from CPU % and the request count, 0.1 µs resolution). "chain cost": this route\'s CPU µs/req minus the ' +
  'no-filter route\'s (medians), same run. "others % proxy/load core" (worst round): the proxy core\'s busy % minus Junction\'s own CPU %, and ' +
  'the load core\'s busy % minus every bench process on it: other people\'s work; * marks rows above 10%. req/s is bounded by the load core ' +
  'when Junction is not at 100% CPU: compare CPU µs/req.';

function costLine(r: FiltersReport): string {
  const by = (id: string) => r.scenarios.find((s) => s.id === id);
  const part = (id: string, name: string) => {
    const s = by(id);
    return s?.chainCostUs === undefined ? `${name}: -` : `${name}: ${s.chainCostUs >= 0 ? '+' : ''}${s.chainCostUs.toFixed(1)} µs/req (rounds ${s.chainCostUsPerRound?.map((x) => x.toFixed(1)).join(', ')})`;
  };
  const ref = by('none')?.summary?.cpuUsPerReq;
  return `chain cost vs no filters (${ref === undefined ? '-' : `${ref.toFixed(1)} µs/req`}): ${part('one', 'one built-in')}; ${part('three', 'three built-ins')}; ${part('three-cors', 'three + cors')}`;
}

function filtersSvg(r: FiltersReport): string {
  const load = `autocannon ${r.load.connections} connections, ${r.load.warmupS} s warm-up + ${r.load.durationS} s measured, ${r.load.rounds} round(s), medians; GET ${r.load.request.path}, access log off`;
  return loadChartSvg('Junction filters bench (chain cost)', r.machine, load, r.scenarios.map((s) => summaryRow(s.label, true, s.summary)), 1);
}

function filtersMarkdown(r: FiltersReport, command: string, svgName: string): string {
  const m = r.machine;
  const lines = [
    ...reportHeader(
      'Filters bench (chain cost)',
      command,
      m,
      disturbanceLine(r),
      `Load: autocannon ${r.load.connections} connections, ${r.load.warmupS} s warm-up + ${r.load.durationS} s measured, ${r.load.rounds} round(s) per ` +
        `scenario, GET ${r.load.request.path} with Origin: ${ORIGIN}, 20-byte body from a node:http upstream. Junction with the access log off.`,
    ),
    markdownTable(COLUMNS, rows(r.scenarios)),
    '',
    `![Filters bench: req/s, p99 ms and CPU µs per request per route configuration](${svgName})`,
    '',
    LEGEND,
    '',
    ...r.scenarios.map((s) => `- **${s.label}**${s.filters.length ? ` (\`${JSON.stringify(s.filters)}\`)` : ''}: ${s.what}`),
    '',
    'Filter documents: ' + Object.entries(r.filterDocs).map(([id, d]) => `\`${id}\` = \`${JSON.stringify(d)}\``).join(', '),
    '',
    `${costLine(r)}.`,
  ];
  for (const p of r.profiles ?? []) lines.push('', `Profile, ${p.label} (an extra run under node --cpu-prof, ${int(p.rps)} req/s):`, '', '```', profileText(p.profile), '```');
  return `${lines.join('\n')}\n`;
}

/** Every configuration answers 200 to the load's request, cors adds its header, and no configuration error is reported. */
async function checkScenario(j: JunctionProc, def: FilterScenarioDef, req: LoadRequest): Promise<void> {
  const res = await request(`${j.url}${req.path}`, { method: 'GET', headers: req.headers ?? {} });
  const body = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${def.label}: ${req.path} answered ${res.statusCode} ${body.slice(0, 200)}`);
  if (def.filters.includes('cors') && res.headers['access-control-allow-origin'] !== ORIGIN) {
    throw new Error(`${def.label}: no access-control-allow-origin in the response (${JSON.stringify(res.headers)})`);
  }
  const admin = new Poller(j.adminUrl);
  try {
    const st = await junctionStatus(admin);
    if (st.errors && st.errors.length > 0) throw new Error(`${def.label}: configuration errors ${JSON.stringify(st.errors).slice(0, 500)}`);
  } finally {
    await admin.close();
  }
}

function configEntries(prefix: string, upstreamUrl: string, def: FilterScenarioDef): Array<[string, unknown]> {
  return [
    [`${prefix}/backends/up`, { servers: [{ id: 's1', url: upstreamUrl }] }],
    ...def.filters.map((id): [string, unknown] => [`${prefix}/filters/${id}`, FILTERS[id]]),
    [`${prefix}/routes/${ROUTE_ID}`, { match: { pathPrefix: '/' }, backend: 'up', ...(def.filters.length ? { filters: def.filters } : {}) }],
  ];
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** BENCH_SCENARIOS (filter bench ids), always with the no-filter reference; default: all. */
function selectScenarios(ids: readonly string[] | undefined): FilterScenarioDef[] {
  if (!ids) return [...SCENARIOS];
  const unknown = ids.filter((id) => !SCENARIOS.some((d) => d.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}; the filters bench knows ${SCENARIOS.map((d) => d.id).join(', ')}`);
  return SCENARIOS.filter((d) => d.id === 'none' || ids.includes(d.id));
}

/** One more run of a configuration under `node --cpu-prof` (same load; not in the table). */
async function profileScenario(
  group: ProcessGroup,
  paths: BenchPaths,
  opts: BenchOptions,
  etcd: BenchEtcd,
  def: FilterScenarioDef,
  req: LoadRequest,
): Promise<{ rps: number; profile: ProfileSummary } | undefined> {
  const dir = group.tempDir('filters-cpuprof');
  process.stdout.write(`- profiling ${def.label} (node --cpu-prof, same load; not counted in the table)\n`);
  const j = await startReadyJunction(group, paths, {
    name: `filters-${def.id}-prof`,
    etcd: etcd.endpoint,
    prefix: `/bench-filters-${def.id}`,
    accessLog: 'off',
    core: group.pinning.proxyCore,
    cpuProfDir: dir,
  });
  let rps = 0;
  try {
    rps = (await runLoad(group, paths, { label: `${def.id} --cpu-prof`, url: j.url, connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS, requests: [req] })).rps;
  } finally {
    await group.stop(j.managed, 15_000); // the profile is written on a clean exit
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) return undefined;
  if (opts.profileOut) copyFileSync(join(dir, file), opts.profileOut.replace(/(\.cpuprofile)?$/, `-filters-${def.id}.cpuprofile`));
  return { rps, profile: summarizeProfile(join(dir, file), 20) };
}

/** `npm run bench -- filters`. */
export async function runFilters(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<FiltersReport> {
  const rounds = intEnv('BENCH_FILTERS_ROUNDS', 3, 1, 20);
  const chosen = selectScenarios(opts.scenarios);
  const machine = await machineInfo(group.pinning);
  const say = (l: string) => process.stdout.write(`${l}\n`);
  say(`\n== filters: chain cost ==\n${machineLine(machine)}, load average ${machine.loadAvg1}\n${group.pinning.describe()}`);
  if (busyWarning(machine)) say(busyWarning(machine));
  say(`autocannon: ${opts.connections} connections, ${opts.warmupS} s warm-up + ${opts.durationS} s measured, ${rounds} round(s) per scenario`);
  const req: LoadRequest = { method: 'GET', path: LOAD_PATH, headers: { origin: ORIGIN } };
  let upstream: NodeChild | undefined;
  let etcd: BenchEtcd | undefined;
  let current: JunctionProc | undefined;
  try {
    upstream = await startUpstream(group, paths);
    etcd = await startBenchEtcd(group);
    const etcdEndpoint = etcd.endpoint;
    for (const def of chosen) await etcd.putMany(configEntries(`/bench-filters-${def.id}`, upstream.url, def));
    say(`- every run starts its Junction afresh on core ${group.pinning.proxyCore} (checked: it answers 200, with no configuration error; cors adds its header)`);

    const runs = new Map<string, MeasuredRun[]>(chosen.map((d) => [d.id, []]));
    for (let round = 1; round <= rounds; round++) {
      say(`- round ${round} of ${rounds}`);
      for (const def of round % 2 === 1 ? chosen : [...chosen].reverse()) {
        const j = await startReadyJunction(group, paths, { name: `filters-${def.id}`, etcd: etcdEndpoint, prefix: `/bench-filters-${def.id}`, accessLog: 'off', core: group.pinning.proxyCore });
        current = j;
        try {
          await checkScenario(j, def, req);
          const target: LoadTarget = { id: `filters-${def.id}`, label: def.label, url: j.url, pids: [j.managed.pid], requests: [req] };
          runs.get(def.id)?.push(await measureOnce(group, paths, opts, target, round));
          if (group.interrupted) throw new Error('interrupted');
        } finally {
          current = undefined;
          await group.stop(j.managed, 10_000);
        }
        await sleep(200);
      }
    }

    const refRuns = runs.get('none') ?? [];
    const ref = summarizeRuns(refRuns);
    const scenarios: FilterScenarioResult[] = chosen.map((def) => {
      const rs = runs.get(def.id) ?? [];
      const summary = summarizeRuns(rs);
      const perRound = def.filters.length
        ? rs.flatMap((r, i) => {
            const a = r.cpuUsPerReq;
            const b = refRuns[i]?.cpuUsPerReq;
            return a === undefined || b === undefined ? [] : [r1(a - b)];
          })
        : undefined;
      return {
        id: def.id,
        label: def.label,
        filters: def.filters,
        what: def.what,
        runs: rs,
        ...(summary ? { summary } : {}),
        ...(def.filters.length && summary?.cpuUsPerReq !== undefined && ref?.cpuUsPerReq !== undefined ? { chainCostUs: r1(summary.cpuUsPerReq - ref.cpuUsPerReq) } : {}),
        ...(perRound ? { chainCostUsPerRound: perRound } : {}),
      };
    });
    const profiles: Array<{ id: string; label: string; rps: number; profile: ProfileSummary }> = [];
    if (opts.profile === 'on') {
      for (const def of chosen) {
        const p = await profileScenario(group, paths, opts, etcd, def, req).catch((err: unknown) => {
          say(`  profiling ${def.id} failed: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        });
        if (p) profiles.push({ id: def.id, label: def.label, ...p });
      }
    }
    const loadAvg = loadAvgRange([...runs.values()].flat());
    const report: FiltersReport = {
      machine,
      load: { tool: 'autocannon 8 (library, child process)', connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS, rounds, request: req },
      filterDocs: FILTERS,
      ...(loadAvg ? { loadAvgDuringRuns: loadAvg } : {}),
      scenarios,
      ...(profiles.length > 0 ? { profiles } : {}),
    };
    say(`\n${textTable(COLUMNS, rows(scenarios))}\n${LEGEND}\n${disturbanceLine(report)}\n${costLine(report)}`);
    const command = `${opts.scenarios ? `BENCH_SCENARIOS=${opts.scenarios.join(',')} ` : ''}BENCH_DURATION=${opts.durationS} BENCH_WARMUP=${opts.warmupS} BENCH_CONNECTIONS=${opts.connections} BENCH_FILTERS_ROUNDS=${rounds} npm run bench -- filters`;
    const jf = writeResult(paths, 'filters.json', report);
    const svg = writeResult(paths, 'filters.svg', filtersSvg(report));
    const md = writeResult(paths, 'filters.md', filtersMarkdown(report, command, 'filters.svg'));
    for (const p of profiles) say(`\n${p.label}: ${profileText(p.profile)}`);
    say(`wrote ${jf}, ${md} and ${svg}`);
    return report;
  } finally {
    if (current) await group.stop(current.managed, 10_000);
    if (etcd) {
      await etcd.close();
      await group.stop(etcd.managed, 5000);
    }
    if (upstream) await group.stop(upstream.managed, 2000);
  }
}
