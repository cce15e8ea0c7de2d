/**
 * `npm run bench -- tee`: what the tee (shadow traffic) costs the real request, in one run, with
 * the proxy alone on one pinned core and the same fast upstream:
 *  - Junction without a tee (the reference);
 *  - Junction teeing 100% of its traffic to a SLOW shadow (200–300 ms), a DEAD shadow (a closed
 *    port: connection refused) and a FAST shadow (answers at once);
 *  - when nginx is installed, nginx without `mirror` and nginx with `mirror` to the same slow shadow.
 * Each run starts its proxy afresh (as the throughput bench does; a proxy left idle between runs
 * measured differently); the scenarios are measured one after another, for BENCH_TEE_ROUNDS rounds
 * (order reversed every other round). After each Junction run the tee's fidelity report
 * (`/api/v1/status` → tee) is read, so the table says what happened to the copies.
 * With BENCH_PROFILE=1 (or, by default, when a goal is missed) Junction runs once more per scenario
 * under `node --cpu-prof` and the top functions are printed.
 * Writes bench/results/tee.json and tee.md. Goals (reported, not enforced): with a slow or dead
 * shadow, Junction keeps >= 0.9x its no-tee throughput and <= 1.2x its no-tee p99.
 */
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { nginxAvailable, NGINX_BIN } from './baselines/nginx-config.js';
import { nginxMirrorConfig } from './baselines/nginx-mirror-config.js';
import type { BenchPaths } from './lib/bench-paths.js';
import { waitForMessage } from './lib/child-ipc.js';
import { summarizeProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { startBenchEtcd, type BenchEtcd } from './lib/etcd-server.js';
import { freePort } from './lib/free-port.js';
import { getOnce, Poller } from './lib/http-get.js';
import { startReadyJunction } from './lib/junction-process.js';
import { runLoad, type LoadRequest } from './lib/load.js';
import { busyWarning, machineInfo, machineLine, type MachineInfo } from './lib/machine.js';
import { startNginxWith } from './lib/nginx-process.js';
import { startNodeChild, startUpstream, type NodeChild } from './lib/node-child.js';
import type { BenchOptions } from './lib/options.js';
import type { ProcessGroup } from './lib/process-group.js';
import { writeResult } from './lib/results.js';
import { disturbanceLine, intEnv, loadAvgRange, measureOnce, summarizeRuns, type LoadTarget, type MeasuredRun } from './lib/rounds.js';
import type { ShadowStats } from './lib/shadow-types.js';
import { int, textTable } from './lib/table.js';
import { profileText } from './lib/throughput-report.js';
import { COPY_COLUMNS, copyRows, goalLines, LEGEND, MAIN_COLUMNS, mainRows, teeMarkdown, teeSvg, type ShadowKind, type ShadowSeen, type TeeCounts, type TeeProfile, type TeeReport, type TeeScenarioDef, type TeeScenarioResult } from './lib/tee-report.js';
import { pollUntil, sleep } from './lib/time.js';

const LOAD_PATH = '/api/items/42';
const ROUTE_ID = 'main';
const SLOW_MS = { min: 200, max: 300 } as const;
const GOAL = { throughputRatio: 0.9, p99Ratio: 1.2 } as const;
const TEE_TIMEOUT_MS = 5000; // the tee's default timeoutMs: the longest a copy can stay in flight


const SCENARIOS: readonly TeeScenarioDef[] = [
  { id: 'junction', label: 'Junction, no tee', proxy: 'junction', what: 'route / -> upstream, no tee (the reference of the Junction rows)' },
  {
    id: 'junction-tee-slow',
    label: 'Junction, tee 100% -> slow shadow',
    proxy: 'junction',
    shadow: 'slow',
    baselineId: 'junction',
    what: `the same route with tee [{ backend: shadow, percent: 100 }] (default caps: maxInFlight 256, timeoutMs 5000); the shadow answers after ${SLOW_MS.min}–${SLOW_MS.max} ms`,
  },
  {
    id: 'junction-tee-dead',
    label: 'Junction, tee 100% -> dead shadow',
    proxy: 'junction',
    shadow: 'dead',
    baselineId: 'junction',
    what: 'the same tee; the shadow backend points at a closed port (connection refused)',
  },
  {
    id: 'junction-tee-fast',
    label: 'Junction, tee 100% -> fast shadow',
    proxy: 'junction',
    shadow: 'fast',
    baselineId: 'junction',
    what: 'the same tee; the shadow answers at once (every copy is sent and completes: the full cost of mirroring)',
  },
  { id: 'nginx', label: 'nginx, no mirror', proxy: 'nginx', what: 'nginx, worker_processes 1, keepalive upstream, access log off (the reference of the nginx row)' },
  {
    id: 'nginx-mirror-slow',
    label: 'nginx, mirror -> slow shadow',
    proxy: 'nginx',
    shadow: 'slow',
    baselineId: 'nginx',
    what: `the same nginx with mirror /mirror; location = /mirror { internal; proxy_pass http://shadow$request_uri; } (keepalive shadow upstream), shadow ${SLOW_MS.min}–${SLOW_MS.max} ms`,
  },
];

interface TeeReportEntry {
  readonly route: string;
  readonly offered: number;
  readonly sent: number;
  readonly inFlight: number;
  readonly completed: number;
  readonly failed: number;
  readonly dropped: { readonly inflight: number; readonly rate: number; readonly breaker: number };
  readonly meanLatencyMs: number | null;
}

async function teeEntry(admin: Poller): Promise<TeeReportEntry | undefined> {
  const r = await admin.get('/api/v1/status');
  if (r.status !== 200) throw new Error(`/api/v1/status answered ${r.status}`);
  const doc = JSON.parse(r.body) as { tee?: readonly TeeReportEntry[] };
  return doc.tee?.find((t) => t.route === ROUTE_ID);
}

function countsBetween(a: TeeReportEntry | undefined, b: TeeReportEntry | undefined): TeeCounts {
  const z = { offered: 0, sent: 0, inFlight: 0, completed: 0, failed: 0, dropped: { inflight: 0, rate: 0, breaker: 0 }, meanLatencyMs: null };
  const x = a ?? { route: ROUTE_ID, ...z };
  const y = b ?? { route: ROUTE_ID, ...z };
  const completed = y.completed - x.completed;
  const latencySum = (y.meanLatencyMs ?? 0) * y.completed - (x.meanLatencyMs ?? 0) * x.completed;
  return {
    offered: y.offered - x.offered,
    sent: y.sent - x.sent,
    droppedInflight: y.dropped.inflight - x.dropped.inflight,
    droppedRate: y.dropped.rate - x.dropped.rate,
    droppedBreaker: y.dropped.breaker - x.dropped.breaker,
    completed,
    failed: y.failed - x.failed,
    meanShadowMs: completed > 0 ? Math.round((latencySum / completed) * 10) / 10 : undefined,
  };
}

function addCounts(a: TeeCounts | undefined, b: TeeCounts): TeeCounts {
  if (!a) return b;
  const completed = a.completed + b.completed;
  const sum = (a.meanShadowMs ?? 0) * a.completed + (b.meanShadowMs ?? 0) * b.completed;
  return {
    offered: a.offered + b.offered,
    sent: a.sent + b.sent,
    droppedInflight: a.droppedInflight + b.droppedInflight,
    droppedRate: a.droppedRate + b.droppedRate,
    droppedBreaker: a.droppedBreaker + b.droppedBreaker,
    completed,
    failed: a.failed + b.failed,
    meanShadowMs: completed > 0 ? Math.round((sum / completed) * 10) / 10 : undefined,
  };
}

async function shadowStats(s: NodeChild): Promise<ShadowStats> {
  const reply = waitForMessage<ShadowStats>(s.managed, 'stats', 5000);
  s.managed.child.send({ type: 'stats' });
  return reply;
}

/** A target started for one run, and how to read what happened to its copies. */
interface Live {
  readonly def: TeeScenarioDef;
  readonly target: LoadTarget;
  readonly admin?: Poller;
  readonly shadow?: NodeChild;
  stop(): Promise<void>;
}

function junctionConfig(prefix: string, upstreamUrl: string, shadowUrl: string | undefined): Array<[string, unknown]> {
  const route: Record<string, unknown> = { match: { pathPrefix: '/' }, backend: 'up' };
  const entries: Array<[string, unknown]> = [[`${prefix}/backends/up`, { servers: [{ id: 's1', url: upstreamUrl }] }]];
  if (shadowUrl) {
    entries.push([`${prefix}/backends/shadow`, { servers: [{ id: 's1', url: shadowUrl }] }]);
    route['tee'] = [{ backend: 'shadow', percent: 100 }];
  }
  entries.push([`${prefix}/routes/${ROUTE_ID}`, route]);
  return entries;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** BENCH_SCENARIOS (tee ids), each with the reference it is compared to; default: all. */
function selectScenarios(ids: readonly string[] | undefined): TeeScenarioDef[] {
  if (!ids) return [...SCENARIOS];
  const unknown = ids.filter((id) => !SCENARIOS.some((d) => d.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}; the tee bench knows ${SCENARIOS.map((d) => d.id).join(', ')}`);
  const wanted = new Set(ids.flatMap((id) => [id, SCENARIOS.find((d) => d.id === id)?.baselineId ?? id]));
  return SCENARIOS.filter((d) => wanted.has(d.id));
}

/** One more run of a Junction scenario under `node --cpu-prof` (same configuration and load; not in the table). */
async function profileScenario(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions, etcd: BenchEtcd, d: TeeScenarioDef): Promise<ProfileSummary | undefined> {
  const dir = group.tempDir('tee-cpuprof');
  process.stdout.write(`- profiling ${d.label} (node --cpu-prof, same load; not counted in the table)\n`);
  const j = await startReadyJunction(group, paths, { name: `${d.id}-prof`, etcd: etcd.endpoint, prefix: `/bench-${d.id}`, accessLog: 'off', core: group.pinning.proxyCore, cpuProfDir: dir });
  try {
    const r = await runLoad(group, paths, { label: `${d.id} --cpu-prof`, url: `${j.url}${LOAD_PATH}`, connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS });
    process.stdout.write(`  under the profiler: ${int(r.rps)} req/s, p99 ${r.latencyMs.p99} ms (measured part)\n`);
    await sleep(TEE_TIMEOUT_MS / 10); // copies in flight end before the exit
  } finally {
    await group.stop(j.managed, 15_000); // the profile is written on a clean exit
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    process.stdout.write('  no .cpuprofile written (Junction did not exit cleanly)\n');
    return undefined;
  }
  const out = opts.profileOut ? opts.profileOut.replace(/(\.cpuprofile)?$/, `-${d.id}.cpuprofile`) : undefined;
  if (out) copyFileSync(join(dir, file), out);
  return summarizeProfile(join(dir, file), 20);
}

/** `npm run bench -- tee`. */
export async function runTee(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<TeeReport> {
  const rounds = intEnv('BENCH_TEE_ROUNDS', 3, 1, 20);
  const machine = await machineInfo(group.pinning);
  const say = (l: string) => process.stdout.write(`${l}\n`);
  say(`\n== tee: shadow traffic cost ==\n${machineLine(machine)}, load average ${machine.loadAvg1}\n${group.pinning.describe()}`);
  if (busyWarning(machine)) say(busyWarning(machine));
  say(`autocannon: ${opts.connections} connections, ${opts.warmupS} s warm-up + ${opts.durationS} s measured, ${rounds} round(s) per scenario, GET ${LOAD_PATH}`);

  const withNginx = nginxAvailable();
  const chosen = selectScenarios(opts.scenarios);
  const defs = chosen.filter((d) => d.proxy === 'junction' || withNginx);
  const skipped = withNginx ? [] : chosen.filter((d) => d.proxy === 'nginx');
  let current: Live | undefined;
  const children: NodeChild[] = [];
  let etcd: BenchEtcd | undefined;
  try {
    const upstream = await startUpstream(group, paths);
    children.push(upstream);
    const slow = await startNodeChild(group, paths, 'shadow-slow', 'lib/shadow-server.js', ['--min-ms', String(SLOW_MS.min), '--max-ms', String(SLOW_MS.max)], group.pinning.loadCore);
    children.push(slow);
    const fast = await startNodeChild(group, paths, 'shadow-fast', 'lib/shadow-server.js', ['--min-ms', '0', '--max-ms', '0'], group.pinning.loadCore);
    children.push(fast);
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    if ((await getOnce(`${deadUrl}/`)).status !== 0) throw new Error(`the "dead" shadow ${deadUrl} answered`);
    say(`- upstream ${upstream.url}; slow shadow ${slow.url} (${SLOW_MS.min}–${SLOW_MS.max} ms); fast shadow ${fast.url}; dead shadow ${deadUrl} (nothing listens)`);
    const shadowOf = (k: ShadowKind | undefined) => (k === 'slow' ? slow : k === 'fast' ? fast : undefined);
    const urlOf = (k: ShadowKind | undefined) => (k === 'dead' ? deadUrl : shadowOf(k)?.url);

    etcd = await startBenchEtcd(group);
    const etcdEndpoint = etcd.endpoint;
    for (const d of defs) if (d.proxy === 'junction') await etcd.putMany(junctionConfig(`/bench-${d.id}`, upstream.url, urlOf(d.shadow)));
    const requests: LoadRequest[] = [{ method: 'GET', path: LOAD_PATH }];

    /** Starts the scenario's proxy (a fresh process for every run) and checks that it answers and, with a tee, mirrors. */
    const launch = async (d: TeeScenarioDef): Promise<Live> => {
      const shadow = shadowOf(d.shadow);
      let live: Live;
      if (d.proxy === 'junction') {
        const j = await startReadyJunction(group, paths, { name: d.id, etcd: etcdEndpoint, prefix: `/bench-${d.id}`, accessLog: 'off', core: group.pinning.proxyCore });
        const admin = new Poller(j.adminUrl);
        live = {
          def: d,
          target: { id: d.id, label: d.label, url: j.url, pids: [j.managed.pid], requests },
          admin,
          ...(shadow ? { shadow } : {}),
          stop: async () => {
            await admin.close();
            await group.stop(j.managed, 10_000);
          },
        };
      } else {
        const shadowHost = d.shadow ? new URL(urlOf(d.shadow) ?? '').host : undefined;
        const n = await startNginxWith(group, `nginx-${d.id}`, group.pinning.proxyCore, (prefix, listenPort) =>
          nginxMirrorConfig({ prefix, listenPort, upstream: new URL(upstream.url).host, ...(shadowHost ? { shadow: shadowHost } : {}) }),
        );
        live = { def: d, target: { id: d.id, label: d.label, url: n.url, pids: [n.managed.pid], requests }, ...(shadow ? { shadow } : {}), stop: () => group.stop(n.managed, 5000) };
      }
      try {
        const shadowBefore = shadow ? await shadowStats(shadow) : undefined;
        const res = await getOnce(`${live.target.url}${LOAD_PATH}`);
        if (res.status !== 200) throw new Error(`${d.label}: ${LOAD_PATH} answered ${res.status} ${res.body.slice(0, 200)}`);
        const admin = live.admin;
        if (admin && d.shadow) {
          const dead = d.shadow === 'dead';
          await pollUntil(
            `${d.label}: the check request's copy ${dead ? 'failed' : 'completed'}`,
            async () => {
              const e = await teeEntry(admin);
              return (dead ? (e?.failed ?? 0) : (e?.completed ?? 0)) > 0 ? true : undefined;
            },
            5000,
            50,
          );
        }
        if (shadow && shadowBefore) {
          // Junction's copies carry x-junction-shadow: 1; nginx's mirror subrequests carry nothing
          const count = (st: ShadowStats) => (d.proxy === 'junction' ? st.marked - shadowBefore.marked : st.received - shadowBefore.received);
          await pollUntil(`${d.label}: ${d.proxy === 'junction' ? 'a marked copy' : 'a copy'} at the shadow`, async () => (count(await shadowStats(shadow)) > 0 ? true : undefined), 5000, 50);
        }
        return live;
      } catch (err) {
        await live.stop();
        throw err;
      }
    };
    say(`- every run starts its proxy afresh on core ${group.pinning.proxyCore} (checked: it answers; with a tee or mirror, the shadow gets the copy)${skipped.length ? `; skipped: nginx rows (${NGINX_BIN} not found)` : ''}`);

    const runs = new Map<string, MeasuredRun[]>(defs.map((d) => [d.id, []]));
    const copies = new Map<string, TeeCounts>();
    const seen = new Map<string, ShadowSeen>();
    for (let round = 1; round <= rounds; round++) {
      say(`- round ${round} of ${rounds}`);
      for (const d of round % 2 === 1 ? defs : [...defs].reverse()) {
        const r = await launch(d);
        current = r;
        try {
          const before = r.admin && d.shadow ? await teeEntry(r.admin) : undefined;
          const shadowBefore = r.shadow ? await shadowStats(r.shadow) : undefined;
          const run = await measureOnce(group, paths, opts, r.target, round);
          runs.get(d.id)?.push(run);
          if (group.interrupted) throw new Error('interrupted');
          if (r.admin && d.shadow) {
            const admin = r.admin;
            // let the copies still in flight end (at most the tee's timeout), so they count in this run
            await pollUntil(`${d.label}: copies in flight`, async () => (((await teeEntry(admin))?.inFlight ?? 0) === 0 ? true : undefined), TEE_TIMEOUT_MS + 3000, 50).catch(() => undefined);
            const c = countsBetween(before, await teeEntry(admin));
            copies.set(d.id, addCounts(copies.get(d.id), c));
            say(
              `    copies: offered ${int(c.offered)}, sent ${int(c.sent)}, dropped_inflight ${int(c.droppedInflight)}, dropped_breaker ${int(c.droppedBreaker)}, ` +
                `completed ${int(c.completed)}, failed ${int(c.failed)}${c.meanShadowMs === undefined ? '' : `, shadow mean ${c.meanShadowMs} ms`}`,
            );
          }
          if (r.shadow && shadowBefore) {
            const sh = r.shadow;
            await pollUntil(`${d.label}: shadow drained`, async () => ((await shadowStats(sh)).inFlight === 0 ? true : undefined), TEE_TIMEOUT_MS + 3000, 50).catch(() => undefined);
            const after = await shadowStats(sh);
            const prev = seen.get(d.id);
            seen.set(d.id, {
              received: (prev?.received ?? 0) + after.received - shadowBefore.received,
              marked: (prev?.marked ?? 0) + after.marked - shadowBefore.marked,
              maxInFlight: Math.max(prev?.maxInFlight ?? 0, after.maxInFlight),
            });
            say(`    the shadow received ${int(after.received - shadowBefore.received)} requests (most held at once so far: ${after.maxInFlight})`);
          }
        } finally {
          current = undefined;
          await r.stop();
        }
        await sleep(200);
      }
    }

    const summaries = new Map(defs.map((d) => [d.id, summarizeRuns(runs.get(d.id) ?? [])]));
    const scenarios: TeeScenarioResult[] = chosen.map((d) => {
      const base = { id: d.id, label: d.label, what: d.what, proxy: d.proxy, ...(d.shadow ? { shadow: d.shadow } : {}), ...(d.baselineId ? { baselineId: d.baselineId } : {}) };
      if (skipped.includes(d)) return { ...base, skipped: `${NGINX_BIN} not found`, runs: [] };
      const summary = summaries.get(d.id);
      const ref = d.baselineId ? summaries.get(d.baselineId) : undefined;
      const ratios: { throughputRatio?: number; p99Ratio?: number; cpuRatio?: number } =
        summary && ref
          ? {
              throughputRatio: r2(summary.rps / Math.max(1, ref.rps)),
              p99Ratio: r2(summary.p99Ms / Math.max(0.001, ref.p99Ms)),
              ...(summary.cpuUsPerReq !== undefined && ref.cpuUsPerReq ? { cpuRatio: r2(summary.cpuUsPerReq / ref.cpuUsPerReq) } : {}),
            }
          : {};
      const tp = ratios.throughputRatio;
      const p99 = ratios.p99Ratio;
      const judged = d.proxy === 'junction' && (d.shadow === 'slow' || d.shadow === 'dead') && tp !== undefined && p99 !== undefined;
      return {
        ...base,
        runs: runs.get(d.id) ?? [],
        ...(summary ? { summary } : {}),
        ...(copies.has(d.id) ? { copies: copies.get(d.id) } : {}),
        ...(seen.has(d.id) ? { shadowSeen: seen.get(d.id) } : {}),
        ...ratios,
        ...(judged ? { goalMet: tp >= GOAL.throughputRatio && p99 <= GOAL.p99Ratio } : {}),
      };
    });
    const judged = scenarios.filter((s) => s.goalMet !== undefined);
    const toProfile = defs.filter(
      (d) => d.proxy === 'junction' && (opts.profile === 'on' ? d.shadow !== 'fast' : opts.profile === 'auto' && scenarios.some((x) => x.id === d.id && x.goalMet === false)),
    );
    const ref = defs.find((d) => d.id === 'junction');
    if (ref && toProfile.length > 0 && !toProfile.includes(ref)) toProfile.unshift(ref); // the no-tee reference beside it
    const profiles: TeeProfile[] = [];
    for (const d of toProfile) {
      const p = await profileScenario(group, paths, opts, etcd, d).catch((err: unknown) => {
        say(`  profiling ${d.id} failed: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      });
      if (p) profiles.push({ id: d.id, label: d.label, profile: p });
    }
    const loadAvg = loadAvgRange([...runs.values()].flat());
    const report: TeeReport = {
      machine,
      load: { tool: 'autocannon 8 (library, child process)', connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS, rounds, path: LOAD_PATH },
      ...(loadAvg ? { loadAvgDuringRuns: loadAvg } : {}),
      scenarios,
      goals: { ...GOAL, ...(judged.length > 0 ? { met: judged.every((s) => s.goalMet) } : {}) },
      ...(profiles.length > 0 ? { profiles } : {}),
    };
    say(`\n${textTable(MAIN_COLUMNS, mainRows(scenarios))}\n\n${textTable(COPY_COLUMNS, copyRows(scenarios))}\n${LEGEND}`);
    say(disturbanceLine(report));
    for (const line of goalLines(report)) say(line);
    for (const p of profiles) say(`\n${p.label}: ${profileText(p.profile)}`);
    const command = `${opts.scenarios ? `BENCH_SCENARIOS=${opts.scenarios.join(',')} ` : ''}BENCH_DURATION=${opts.durationS} BENCH_WARMUP=${opts.warmupS} BENCH_CONNECTIONS=${opts.connections} BENCH_TEE_ROUNDS=${rounds} npm run bench -- tee`;
    const j = writeResult(paths, 'tee.json', report);
    const svg = writeResult(paths, 'tee.svg', teeSvg(report));
    const md = writeResult(paths, 'tee.md', teeMarkdown(report, command, 'tee.svg'));
    say(`wrote ${j}, ${md} and ${svg}`);
    return report;
  } finally {
    await current?.stop();
    if (etcd) {
      await etcd.close();
      await group.stop(etcd.managed, 5000);
    }
    for (const c of children.reverse()) await group.stop(c.managed, 2000);
  }
}
