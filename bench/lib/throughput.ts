import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchPaths } from './bench-paths.js';
import { summarizeProfile, type ProfileSummary } from './cpu-profile.js';
import { startBenchEtcd, type BenchEtcd } from './etcd-server.js';
import { startReadyJunction } from './junction-process.js';
import { runLoad, runLoadWatched, type LoadSpec } from './load.js';
import { busyWarning, machineInfo, machineLine, waitForQuiet } from './machine.js';
import { medianRound } from './median-round.js';
import { startUpstream } from './node-child.js';
import type { BenchOptions } from './options.js';
import type { ProcessGroup } from './process-group.js';
import { intEnv } from './rounds.js';
import { writeResult } from './results.js';
import { JUNCTION_ID, throughputScenarios, WORKERS_ID, type Scenario, type ScenarioContext } from './scenarios.js';
import { int, ms, textTable } from './table.js';
import {
  COLUMNS,
  goalLines,
  judgeGoals,
  LEGEND,
  profileText,
  roundLines,
  rows,
  scalingLine,
  scalingOf,
  throughputMarkdown,
  throughputSvg,
  withRatios,
  type ScenarioResult,
  type ThroughputReport,
} from './throughput-report.js';

export type { ScenarioResult, ThroughputReport } from './throughput-report.js';

const LOAD_PATH = '/api/items/42';

/** The Junction configuration of the throughput runs: a few routes, one backend, one server. */
async function writeBenchConfig(etcd: BenchEtcd, upstreamUrl: string): Promise<void> {
  await etcd.putMany([
    ['/junction/backends/bench', { servers: [{ id: 's1', url: upstreamUrl }] }],
    ['/junction/routes/catch-all', { match: { pathPrefix: '/' }, backend: 'bench' }],
    ['/junction/routes/api', { match: { pathPrefix: '/api/' }, backend: 'bench' }],
    ['/junction/routes/health', { match: { path: '/healthz' }, backend: 'bench' }],
    ['/junction/routes/www', { match: { host: 'www.example.com', pathPrefix: '/' }, backend: 'bench' }],
  ]);
}

function loadSpec(opts: BenchOptions, label: string, url: string): LoadSpec {
  return { label, url: `${url}${LOAD_PATH}`, connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS };
}

async function runScenario(ctx: ScenarioContext, opts: BenchOptions, s: Scenario): Promise<ScenarioResult> {
  const base = { id: s.id, label: s.label, what: s.what, ...(s.junction ? { junction: true } : {}), ...(s.latencyCaveat ? { latencyCaveat: s.latencyCaveat } : {}) };
  const skip = await s.skipReason(ctx);
  if (skip) {
    process.stdout.write(`- ${s.label}: skipped (${skip})\n`);
    return { ...base, skipped: skip };
  }
  process.stdout.write(`- ${s.label}: ${s.what}\n`);
  let target;
  try {
    target = await s.start(ctx);
  } catch (err) {
    const failed = err instanceof Error ? err.message : String(err);
    process.stdout.write(`  failed to start: ${failed}\n`);
    return { ...base, failed };
  }
  try {
    const busy = opts.quietWaitS > 0 ? await waitForQuiet(opts.quietPct, opts.quietWaitS, (l) => process.stdout.write(`${l}\n`)) : undefined;
    const { result, cpu } = await runLoadWatched(ctx.group, ctx.paths, loadSpec(opts, s.id, target.url), target.pids);
    const note = target.note();
    const cpuText = cpu ? `, process CPU ${cpu.processPct}% = ${cpu.usPerRequest} µs/req, cores ${cpu.corePct.map((c) => `${c}%`).join(' ')}` : '';
    process.stdout.write(
      `  ${int(result.rps)} req/s, p50 ${ms(result.latencyMs.p50)} ms, p99 ${ms(result.latencyMs.p99)} ms, errors ${result.errors + result.timeouts}, non-2xx ${result.non2xx}${cpuText}${note ? ` (${note})` : ''}\n`,
    );
    return { ...base, result, note, ...(cpu ? { cpu } : {}), ...(busy === undefined ? {} : { busyBeforePct: busy }) };
  } catch (err) {
    const failed = err instanceof Error ? err.message : String(err);
    process.stdout.write(`  failed: ${failed}\n`);
    return { ...base, failed };
  } finally {
    await target.stop();
  }
}

async function profileJunction(ctx: ScenarioContext, opts: BenchOptions): Promise<ProfileSummary | undefined> {
  const dir = ctx.group.tempDir('cpuprof');
  const etcd = await ctx.etcd();
  process.stdout.write('- profiling Junction (node --cpu-prof, same load; not counted in the table)\n');
  const j = await startReadyJunction(ctx.group, ctx.paths, {
    name: 'profile',
    etcd: etcd.endpoint,
    accessLog: 'file',
    core: ctx.group.pinning.proxyCore,
    cpuProfDir: dir,
  });
  try {
    await runLoad(ctx.group, ctx.paths, loadSpec(opts, 'junction --cpu-prof', j.url));
  } finally {
    await ctx.group.stop(j.managed, 15_000); // the profile is written on a clean exit
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    process.stdout.write('  no .cpuprofile written (Junction did not exit cleanly)\n');
    return undefined;
  }
  if (opts.profileOut) copyFileSync(join(dir, file), opts.profileOut);
  return summarizeProfile(join(dir, file), 20);
}

/** `npm run bench -- throughput`. */
export async function runThroughput(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<ThroughputReport> {
  const all = throughputScenarios();
  const unknown = (opts.scenarios ?? []).filter((id) => !all.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')}; known: ${all.map((s) => s.id).join(', ')}`);
  const selected = opts.scenarios ? all.filter((s) => opts.scenarios?.includes(s.id)) : all;
  const machine = await machineInfo(group.pinning);
  process.stdout.write(`\n== throughput ==\n${machineLine(machine)}\n${group.pinning.describe()}\n`);
  if (busyWarning(machine)) process.stdout.write(`${busyWarning(machine)}\n`);
  process.stdout.write(`autocannon: ${opts.connections} connections, ${opts.warmupS} s warm-up + ${opts.durationS} s measured per scenario\n`);

  const upstream = await startUpstream(group, paths);
  let etcdStarted: Promise<BenchEtcd> | undefined;
  const ctx: ScenarioContext = {
    group,
    paths,
    upstream,
    etcd: () =>
      (etcdStarted ??= startBenchEtcd(group).then(async (e) => {
        await writeBenchConfig(e, upstream.url);
        return e;
      })),
  };
  try {
    const rounds = intEnv('BENCH_THROUGHPUT_ROUNDS', 1, 1, 20);
    const runs = new Map<string, ScenarioResult[]>(selected.map((s) => [s.id, []]));
    for (let round = 1; round <= rounds; round++) {
      if (rounds > 1) process.stdout.write(`- round ${round} of ${rounds}\n`);
      // the order is reversed every other round, so no scenario always runs first or last
      for (const s of round % 2 === 0 ? [...selected].reverse() : selected) {
        runs.get(s.id)?.push(await runScenario(ctx, opts, s));
        if (group.interrupted) throw new Error('interrupted');
      }
    }
    const measured = selected.map((s) => medianRound(runs.get(s.id) ?? []));
    const scenarios = withRatios(measured);
    const goals = judgeGoals(scenarios, JUNCTION_ID);
    const missed = goals.some((g) => g.met === false);
    const wantProfile = selected.some((s) => s.id.startsWith('junction')) && (opts.profile === 'on' || (opts.profile === 'auto' && missed));
    const profile = wantProfile ? await profileJunction(ctx, opts).catch((err: unknown) => {
      process.stdout.write(`  profiling failed: ${err instanceof Error ? err.message : String(err)}\n`);
      return undefined;
    }) : undefined;
    const scaling = scalingOf(scenarios, JUNCTION_ID, WORKERS_ID);
    const scalingSkipped = scenarios.find((s) => s.id === WORKERS_ID)?.skipped;
    const report: ThroughputReport = {
      machine,
      load: { tool: 'autocannon 8 (library, child process)', connections: opts.connections, durationS: opts.durationS, warmupS: opts.warmupS, path: LOAD_PATH },
      scenarios,
      goals,
      ...(scaling ? { scaling } : {}),
      ...(scalingSkipped ? { scalingSkipped } : {}),
      ...(profile ? { profile } : {}),
    };
    process.stdout.write(`\n${textTable(COLUMNS, rows(scenarios))}\n${LEGEND}\n`);
    for (const line of roundLines(scenarios)) process.stdout.write(`${line}\n`);
    for (const line of goalLines(goals)) process.stdout.write(`${line}\n`);
    if (selected.some((s) => s.id === WORKERS_ID)) process.stdout.write(`${scalingLine(scaling, scalingSkipped)}\n`);
    if (profile) process.stdout.write(`\n${profileText(profile)}\n`);
    const command = `${opts.scenarios ? `BENCH_SCENARIOS=${opts.scenarios.join(',')} ` : ''}${rounds > 1 ? `BENCH_THROUGHPUT_ROUNDS=${rounds} ` : ''}BENCH_DURATION=${opts.durationS} BENCH_WARMUP=${opts.warmupS} BENCH_CONNECTIONS=${opts.connections} npm run bench -- throughput`;
    const j = writeResult(paths, 'throughput.json', report);
    const svg = writeResult(paths, 'throughput.svg', throughputSvg(report));
    const md = writeResult(paths, 'throughput.md', throughputMarkdown(report, command, 'throughput.svg'));
    process.stdout.write(`wrote ${j}, ${md} and ${svg}\n`);
    return report;
  } finally {
    if (etcdStarted) {
      const e = await etcdStarted.catch(() => undefined);
      await e?.close();
      if (e) await group.stop(e.managed, 5000);
    }
    await group.stop(upstream.managed, 2000);
  }
}
