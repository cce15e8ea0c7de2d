/**
 * `npm run bench -- soak`: Junction under steady load for a long time (BENCH_SOAK_SECONDS, default
 * 600) while its configuration changes every second, with a tee to a dead shadow. Looks for leaks
 * and for anything that stops working with time:
 *  - a real etcd, a real upstream, Junction (access log on, to a file) on the proxy core;
 *  - route `main`: a canary split `up`/`up-b` (both the same upstream) whose weight flips every
 *    second, teeing 100% of GETs to backend `shadow`, a loopback port nobody listens on; every few
 *    changes a throwaway route (a new id each time) is added, then deleted;
 *  - autocannon at a fixed rate (BENCH_SOAK_RPS, default 1000/s), BENCH_SOAK_CONNECTIONS (10);
 *  - every 10 s: Junction's RSS (/proc/<pid>/status VmRSS), open fds (/proc/<pid>/fd), V8 heap
 *    used (/metrics), applied revision (/api/v1/status).
 * Judged (bench/lib/soak-eval.ts): no errors, timeouts or non-2xx; the load delivered; fds at the
 * end <= baseline + 20; RSS growth after the warm-up <= 50 MiB; every change written and the last
 * one applied; the tee counts the dead shadow's copies as failed/dropped and has none in flight.
 * Writes bench/results/soak.json, soak.md and soak.svg. Exit status 1 when a bound fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { BenchPaths } from './lib/bench-paths.js';
import { startBenchEtcd, type BenchEtcd } from './lib/etcd-server.js';
import { freePort } from './lib/free-port.js';
import { getOnce, Poller } from './lib/http-get.js';
import { junctionStatus, startReadyJunction, type JunctionProc } from './lib/junction-process.js';
import { busyWarning, machineInfo, machineLine, waitForQuiet } from './lib/machine.js';
import { startUpstream, type NodeChild } from './lib/node-child.js';
import type { BenchOptions } from './lib/options.js';
import type { Managed, ProcessGroup } from './lib/process-group.js';
import { writeResult } from './lib/results.js';
import { intEnv } from './lib/rounds.js';
import { soakChartSvg } from './lib/soak-chart.js';
import {
  baselineSecond,
  DEFAULT_BOUNDS,
  evaluateSoak,
  parsePromText,
  promByLabel,
  promSum,
  teeInFlight,
  type SoakSample,
  type TeeOutcomeCounts,
} from './lib/soak-eval.js';
import { checkLines, sampleLine, soakMarkdown, type SoakReport, type SoakSettings } from './lib/soak-report.js';
import type { SoakAutocannonTotals, SoakLoadCounts, SoakLoadMessage, SoakLoadRun } from './lib/soak-types.js';
import { pollUntil, sleep, within } from './lib/time.js';

const PREFIX = '/bench-soak';
const ROUTE_ID = 'main';
const LOAD_PATH = '/api/items/42';
const SAMPLE_EVERY_S = 10;
const CHANGE_EVERY_MS = 1000;
const THROWAWAY_EVERY = 5;
const LOAD_TAIL_S = 3;
const TEE = { backend: 'shadow', percent: 100 } as const;
const TEE_TIMEOUT_MS = 5000; // the tee's default timeoutMs

function mainRoute(canaryWeight: number): unknown {
  return {
    match: { pathPrefix: '/' },
    split: [
      { backend: 'up', weight: 100 - canaryWeight },
      { backend: 'up-b', weight: canaryWeight },
    ],
    tee: [TEE],
  };
}

function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

function fdCount(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** The configuration writer: one change a second until stopped. */
class Changer {
  written = 0;
  weightChanges = 0;
  routesAdded = 0;
  routesDeleted = 0;
  errors = 0;
  late = 0;
  firstRevision = 0;
  lastRevision = 0;
  #stop = false;
  #done: Promise<void> | undefined;
  #scratch: string | undefined;
  #nextScratch = 1;

  constructor(private readonly etcd: BenchEtcd) {}

  start(): void {
    this.#done = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#done;
  }

  #record(revision: number): void {
    if (this.firstRevision === 0) this.firstRevision = revision;
    this.lastRevision = Math.max(this.lastRevision, revision);
    this.written++;
  }

  async #tick(i: number): Promise<void> {
    try {
      this.#record(await this.etcd.putJson(`${PREFIX}/routes/${ROUTE_ID}`, mainRoute(i % 2 === 0 ? 10 : 30)));
      this.weightChanges++;
      if (i % THROWAWAY_EVERY === 0) {
        if (this.#scratch === undefined) {
          const id = `scratch-${this.#nextScratch++}`;
          this.#record(await this.etcd.putJson(`${PREFIX}/routes/${id}`, { match: { pathPrefix: `/scratch/${id}/` }, backend: 'up' }));
          this.#scratch = id;
          this.routesAdded++;
        } else {
          const res = await this.etcd.client.delete().key(`${PREFIX}/routes/${this.#scratch}`).exec();
          this.#record(Number(res.header.revision));
          this.#scratch = undefined;
          this.routesDeleted++;
        }
      }
    } catch {
      this.errors++;
    }
  }

  async #loop(): Promise<void> {
    const start = performance.now();
    for (let i = 1; !this.#stop; i++) {
      const due = start + i * CHANGE_EVERY_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      else if (wait < -CHANGE_EVERY_MS) this.late++;
      if (this.#stop) break;
      await this.#tick(i);
    }
  }
}

/** Runs the fixed-rate load in its own process; `counts()` are the latest cumulative ones. */
function startSoakLoad(group: ProcessGroup, paths: BenchPaths, run: SoakLoadRun) {
  const worker: Managed = group.spawn('load:soak', process.execPath, [paths.script('lib/soak-load-worker.js')], {
    core: group.pinning.loadCore,
    ipc: true,
    stdout: 'capture',
    stderr: 'capture',
  });
  let latest: SoakLoadCounts = { responses: 0, non2xx: 0, errors: 0, timeouts: 0 };
  const done = new Promise<{ counts: SoakLoadCounts; autocannon: SoakAutocannonTotals }>((resolve, reject) => {
    worker.child.on('message', (msg: SoakLoadMessage) => {
      if (msg.type === 'tick') latest = msg.counts;
      else if (msg.type === 'result') {
        latest = msg.counts;
        resolve({ counts: msg.counts, autocannon: msg.autocannon });
      } else reject(new Error(`soak load failed: ${msg.message}`));
    });
    void worker.exited.then((e) => reject(new Error(`soak load generator exited (code ${e.code}) before its result${worker.output() ? `:\n${worker.output()}` : ''}`)));
  });
  worker.child.send(run);
  return {
    worker,
    counts: () => latest,
    result: within(done, (run.spec.durationS + 60) * 1000, 'the soak load'),
  };
}

async function metricsOf(admin: Poller) {
  const r = await admin.get('/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parsePromText(r.body);
}

function teeOutcomes(metrics: ReturnType<typeof parsePromText>): TeeOutcomeCounts | undefined {
  const t = promByLabel(metrics, 'junction_tee_requests_total', 'outcome', { route: ROUTE_ID, backend: TEE.backend });
  return Object.keys(t).length > 0 ? t : undefined;
}

/** `npm run bench -- soak`. */
export async function runSoak(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<SoakReport> {
  const seconds = intEnv('BENCH_SOAK_SECONDS', 600, 20, 86_400);
  const rps = intEnv('BENCH_SOAK_RPS', 1000, 1, 100_000);
  const connections = intEnv('BENCH_SOAK_CONNECTIONS', 10, 1, 1000);
  const baselineS = baselineSecond(seconds, SAMPLE_EVERY_S);
  const bounds = DEFAULT_BOUNDS;
  const machine = await machineInfo(group.pinning);
  const say = (l: string) => process.stdout.write(`${l}\n`);
  say(`\n== soak: ${seconds} s at ${rps} req/s, a configuration change every second, tee to a dead shadow ==\n${machineLine(machine)}, load average ${machine.loadAvg1}\n${group.pinning.describe()}`);
  if (busyWarning(machine)) say(busyWarning(machine));

  const children: NodeChild[] = [];
  let etcd: BenchEtcd | undefined;
  let junction: JunctionProc | undefined;
  let admin: Poller | undefined;
  let changer: Changer | undefined;
  let load: ReturnType<typeof startSoakLoad> | undefined;
  try {
    const upstream = await startUpstream(group, paths);
    children.push(upstream);
    const deadShadow = `http://127.0.0.1:${await freePort()}`;
    if ((await getOnce(`${deadShadow}/`)).status !== 0) throw new Error(`the "dead" shadow ${deadShadow} answered`);
    etcd = await startBenchEtcd(group);
    await etcd.putMany([
      [`${PREFIX}/backends/up`, { servers: [{ id: 's1', url: upstream.url }] }],
      [`${PREFIX}/backends/up-b`, { servers: [{ id: 's1', url: upstream.url }] }],
      [`${PREFIX}/backends/shadow`, { servers: [{ id: 's1', url: deadShadow }] }],
      [`${PREFIX}/routes/${ROUTE_ID}`, mainRoute(10)],
    ]);
    junction = await startReadyJunction(group, paths, { name: 'soak', etcd: etcd.endpoint, prefix: PREFIX, accessLog: 'file', core: group.pinning.proxyCore });
    const pid = junction.managed.pid;
    const a = new Poller(junction.adminUrl);
    admin = a;
    say(`- upstream ${upstream.url}; dead shadow ${deadShadow} (nothing listens); etcd ${etcd.endpoint}; Junction ${junction.url} (pid ${pid}, admin ${junction.adminUrl}, access log ${junction.logFile})`);
    const check = await getOnce(`${junction.url}${LOAD_PATH}`);
    if (check.status !== 200) throw new Error(`${LOAD_PATH} through Junction answered ${check.status} ${check.body.slice(0, 200)}`);
    await pollUntil(
      "the check request's copy counted as failed",
      async () => ((teeOutcomes(await metricsOf(a))?.['failed'] ?? 0) > 0 ? true : undefined),
      TEE_TIMEOUT_MS,
      50,
    );
    if (opts.quietWaitS > 0) await waitForQuiet(opts.quietPct, opts.quietWaitS, say);

    let liveChanger: Changer | undefined;
    const sample = async (t: number, counts: SoakLoadCounts, idle = false): Promise<SoakSample> => {
      const [status, metrics] = await Promise.all([junctionStatus(a).catch(() => undefined), metricsOf(a).catch(() => undefined)]);
      return {
        t,
        rssBytes: rssBytes(pid),
        fds: fdCount(pid),
        heapUsedBytes: metrics ? promSum(metrics, 'nodejs_heap_size_used_bytes') : undefined,
        appliedRevision: status?.revision,
        writtenRevision: liveChanger?.lastRevision ?? 0,
        changes: liveChanger?.written ?? 0,
        load: counts,
        ...(idle ? { idle } : {}),
      };
    };

    const settings: SoakSettings = {
      seconds,
      loadTailS: LOAD_TAIL_S,
      rps,
      connections,
      path: LOAD_PATH,
      sampleEveryS: SAMPLE_EVERY_S,
      baselineS,
      changeEveryMs: CHANGE_EVERY_MS,
      throwawayEvery: THROWAWAY_EVERY,
      teeSpec: TEE,
      deadShadow,
    };
    say(`- load: ${rps} req/s over ${connections} connections for ${seconds} s (+${LOAD_TAIL_S} s); a change every ${CHANGE_EVERY_MS} ms; samples every ${SAMPLE_EVERY_S} s, baseline at ${baselineS} s`);
    const samples: SoakSample[] = [];
    const c = new Changer(etcd);
    changer = c;
    liveChanger = c;
    const l = startSoakLoad(group, paths, { type: 'run', spec: { url: junction.url, path: LOAD_PATH, connections, rps, durationS: seconds + LOAD_TAIL_S, timeoutS: 10 } });
    load = l;
    const t0 = performance.now();
    c.start();
    let failure: unknown;
    void l.result.catch((err: unknown) => {
      failure = err;
    });
    for (let t = 0; t <= seconds; t += SAMPLE_EVERY_S) {
      const wait = t0 + t * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      if (group.interrupted) throw new Error('interrupted');
      if (failure) throw failure;
      if (!junction.managed.running()) throw new Error(`Junction exited during the soak:\n${junction.managed.output()}`);
      const s = await sample(t, l.counts());
      samples.push(s);
      say(sampleLine(s));
    }
    const loadResult = await l.result;
    await c.stop();
    say(`- load done; ${c.written} changes written (${c.errors} failed, ${c.late} late), last revision ${c.lastRevision}`);

    const finalAppliedRevision = await pollUntil(
      `applied revision >= ${c.lastRevision}`,
      async () => {
        const st = await junctionStatus(a);
        return st.revision >= c.lastRevision ? st.revision : undefined;
      },
      10_000,
      50,
    ).catch(async () => (await junctionStatus(a).catch(() => undefined))?.revision);
    await pollUntil(
      'tee copies in flight to end',
      async () => {
        const t = teeOutcomes(await metricsOf(a));
        return t && teeInFlight(t) === 0 ? true : undefined;
      },
      TEE_TIMEOUT_MS + 3000,
      100,
    ).catch(() => undefined);
    const idle = await sample(seconds + LOAD_TAIL_S, loadResult.counts, true);
    samples.push(idle);
    say(sampleLine(idle));
    const finalMetrics = await metricsOf(a);
    const tee = teeOutcomes(finalMetrics);
    const routeRequests = promSum(finalMetrics, 'junction_http_requests_total', { route: ROUTE_ID });

    const checks = evaluateSoak({
      samples,
      baselineS,
      bounds,
      load: loadResult.counts,
      targetRequests: rps * (seconds + LOAD_TAIL_S),
      changesWritten: c.written,
      changeErrors: c.errors,
      lastWrittenRevision: c.lastRevision,
      finalAppliedRevision,
      tee,
      routeRequests,
    });
    const command = `BENCH_SOAK_SECONDS=${seconds} BENCH_SOAK_RPS=${rps} BENCH_SOAK_CONNECTIONS=${connections} npm run bench -- soak`;
    const report: SoakReport = {
      machine,
      command,
      settings,
      bounds,
      samples,
      load: loadResult.counts,
      autocannon: loadResult.autocannon,
      changes: {
        written: c.written,
        weightChanges: c.weightChanges,
        routesAdded: c.routesAdded,
        routesDeleted: c.routesDeleted,
        errors: c.errors,
        late: c.late,
        firstRevision: c.firstRevision,
        lastWrittenRevision: c.lastRevision,
        finalAppliedRevision,
      },
      tee,
      routeRequests,
      accessLogBytes: junction.logBytes(),
      checks,
      pass: checks.every((x) => x.pass),
    };
    say('');
    for (const line of checkLines(checks)) say(line);
    say(`soak: ${report.pass ? 'PASS' : 'FAIL'}`);
    const svg = soakChartSvg(
      samples.map((s) => ({ t: s.t, rssMiB: s.rssBytes === undefined ? undefined : s.rssBytes / 2 ** 20, fds: s.fds })),
      {
        title: `Junction soak: ${rps} req/s, a config change a second, tee to a dead shadow`,
        subtitle: `${machine.cpus} cores, Node ${machine.node}, ${machine.date.slice(0, 16).replace('T', ' ')} UTC — ${report.pass ? 'PASS' : 'FAIL'}`,
        marker: { t: baselineS, label: 'baseline' },
      },
    );
    const files = [writeResult(paths, 'soak.json', report), writeResult(paths, 'soak.md', soakMarkdown(report)), writeResult(paths, 'soak.svg', svg)];
    say(`wrote ${files.join(', ')}`);
    if (!report.pass) throw new Error(`soak failed: ${checks.filter((x) => !x.pass).map((x) => x.id).join(', ')}`);
    return report;
  } finally {
    await changer?.stop();
    if (load) await group.stop(load.worker, 2000);
    await admin?.close();
    if (junction) await group.stop(junction.managed, 10_000);
    if (etcd) {
      await etcd.close();
      await group.stop(etcd.managed, 5000);
    }
    for (const ch of children.reverse()) await group.stop(ch.managed, 2000);
  }
}
