/**
 * `npm run bench -- tls`: what TLS and HTTP/2 cost Junction, against nginx and Caddy, and how its
 * certificates behave at scale — in one run, the proxy under test alone on the proxy core, the load
 * tool and the upstream on the other:
 *  1. HTTP/2 over TLS (h2load -c50 -m10): Junction vs nginx (`listen ssl http2`, one worker) vs
 *     Caddy (GOMAXPROCS=1, `reverse_proxy`), same upstream; CPU µs per request and the ratios;
 *  2. HTTP/1.1 over TLS vs plain HTTP/1.1 (wrk, keep-alive), Junction and nginx;
 *  3. full TLS handshakes (a new connection per request, no session offered) and the same with
 *     TLS session resumption, Junction vs nginx vs Caddy: CPU per connection, handshakes per core;
 *  4. a certificate PUT through the admin API -> the next handshake shows it (p99 over 50 puts);
 *  5. 10,000 certificates vs 10: start -> ready, the SNI lookup (handshakes, and CertIndex.pick).
 * Every load scenario starts its proxy afresh and runs BENCH_TLS_ROUNDS rounds (order reversed every
 * other round); the tables show medians. Writes bench/results/tls.json and tls.md. Goals (reported,
 * not enforced) in docs/bench.md.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { caddyAvailable, CADDY_BIN } from './baselines/caddy-config.js';
import { nginxAvailable, nginxConfig, NGINX_BIN } from './baselines/nginx-config.js';
import type { BenchPaths } from './lib/bench-paths.js';
import { startCaddy } from './lib/caddy-process.js';
import { summarizeProfile, type ProfileSummary } from './lib/cpu-profile.js';
import { startBenchEtcd, type BenchEtcd } from './lib/etcd-server.js';
import { startReadyJunction } from './lib/junction-process.js';
import { busyWarning, machineInfo, machineLine, waitForQuiet } from './lib/machine.js';
import { startNginxWith } from './lib/nginx-process.js';
import { startUpstream, type NodeChild } from './lib/node-child.js';
import type { BenchOptions } from './lib/options.js';
import type { Managed, ProcessGroup } from './lib/process-group.js';
import { writeResult } from './lib/results.js';
import { intEnv } from './lib/rounds.js';
import { BenchCerts, certSpec } from './lib/tls-certs.js';
import { H2LOAD_BIN, h2loadAvailable, runH2load, runHandshakes, runWrk, WRK_BIN, wrkAvailable, type ToolRun } from './lib/tls-load.js';
import { tlsGetOnce } from './lib/tls-probe.js';
import { cpuRatio, summarizeTls, tlsMarkdown, tlsText, type CertsPart, type TlsGoal, type TlsPart, type TlsReport, type TlsRun, type TlsScenarioDef, type TlsScenarioResult } from './lib/tls-report.js';
import { certSet, rotationLatency, sniMicro, spreadNames, startWithCerts, type CertSet } from './lib/tls-scale.js';
import { int, ms } from './lib/table.js';
import { sleep } from './lib/time.js';

const LOAD_PATH = '/api/items/42';
const PREFIX = '/bench-tls';
const STREAMS = 10;
const GOAL = { h2VsCaddy: 0.5, h1TlsVsPlain: 1.3, loadMs: 2000, rotationP99Ms: 100, sniRatio: 1.2 } as const;
const PARTS = ['h2', 'h1', 'handshakes', 'certs'] as const;
type Part = (typeof PARTS)[number];

const NGINX_WHAT = 'nginx, worker_processes 1, keep-alive upstream (keepalive 128), access log off';
const SCENARIOS: readonly TlsScenarioDef[] = [
  { id: 'h2-junction', label: 'Junction, HTTP/2 over TLS', part: 'h2', proxy: 'junction', tls: true, what: 'junction serve --listen-tls (node:http2 createSecureServer, allowHTTP1), route / -> upstream, access log off; ALPN h2' },
  { id: 'h2-nginx', label: 'nginx, HTTP/2 over TLS', part: 'h2', proxy: 'nginx', tls: true, what: `${NGINX_WHAT}; listen ssl http2, the same certificate, ssl_protocols/ciphers at their defaults` },
  { id: 'h2-caddy', label: 'Caddy, HTTP/2 over TLS', part: 'h2', proxy: 'caddy', tls: true, what: 'caddy run, GOMAXPROCS=1, site :PORT with tls CERT KEY, reverse_proxy to the upstream, protocols h1 h2, admin off, logs discarded' },
  { id: 'h1-tls-junction', label: 'Junction, HTTP/1.1 over TLS', part: 'h1', proxy: 'junction', tls: true, what: 'the TLS listener; wrk offers no ALPN: HTTP/1.1' },
  { id: 'h1-junction', label: 'Junction, HTTP/1.1 plain', part: 'h1', proxy: 'junction', tls: false, what: 'the plain listener of the same configuration: the reference of the row above' },
  { id: 'h1-tls-nginx', label: 'nginx, HTTP/1.1 over TLS', part: 'h1', proxy: 'nginx', tls: true, what: 'the h2 nginx (listen ssl http2); HTTP/1.1 without ALPN — for comparison: what TLS costs a C proxy' },
  { id: 'h1-nginx', label: 'nginx, HTTP/1.1 plain', part: 'h1', proxy: 'nginx', tls: false, what: `${NGINX_WHAT}, plain listener: the reference of the row above` },
  { id: 'full-junction', label: 'Junction, full handshakes', part: 'full', proxy: 'junction', tls: true, what: 'new TLS connection per request (SNI localhost, ALPN http/1.1, no session offered): a full TLS 1.3 handshake (X25519, ECDSA P-256)' },
  { id: 'full-nginx', label: 'nginx, full handshakes', part: 'full', proxy: 'nginx', tls: true, what: 'the same against the h2 nginx' },
  { id: 'full-caddy', label: 'Caddy, full handshakes', part: 'full', proxy: 'caddy', tls: true, what: 'the same against the Caddy above' },
  { id: 'resumed-junction', label: 'Junction, resumed sessions', part: 'resumed', proxy: 'junction', tls: true, what: 'new TLS connection per request, each offering the session ticket its loop received last (TLS 1.3 PSK resumption)' },
  { id: 'resumed-nginx', label: 'nginx, resumed sessions', part: 'resumed', proxy: 'nginx', tls: true, what: 'the same against nginx (ssl_session_tickets on by default, no session cache)' },
  { id: 'resumed-caddy', label: 'Caddy, resumed sessions', part: 'resumed', proxy: 'caddy', tls: true, what: 'the same against Caddy (Go crypto/tls session tickets)' },
];

const partOf = (p: TlsPart): Part => (p === 'full' || p === 'resumed' ? 'handshakes' : p);

function selectedParts(env: NodeJS.ProcessEnv = process.env): Part[] {
  const raw = env['BENCH_TLS_PARTS'];
  if (!raw) return [...PARTS];
  const parts = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (bad.length > 0) throw new Error(`BENCH_TLS_PARTS: unknown ${bad.join(', ')}; expected some of ${PARTS.join(',')}`);
  return PARTS.filter((p) => parts.includes(p));
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  return text.replace(/^nginx version: /, '').trim() || 'not found';
}

/** A proxy started for one run. */
interface Live {
  readonly pids: readonly number[];
  /** `https://localhost:<port>` (SNI and authority `localhost`) or `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** where to connect: `https://127.0.0.1:<port>` or the plain origin */
  readonly connect: string;
  readonly managed: Managed;
}

/** Before each measured run: wait for a quiet machine, within a budget for the whole suite (so the bench ends in bounded time). */
class QuietBudget {
  #left: number;
  constructor(private readonly opts: BenchOptions, budgetS: number) {
    this.#left = budgetS * 1000;
  }
  async wait(): Promise<number | undefined> {
    if (this.opts.quietWaitS <= 0) return undefined;
    const t0 = performance.now();
    const maxS = Math.max(0, Math.round(Math.min(this.opts.quietWaitS, this.#left / 1000)));
    const busy = await waitForQuiet(this.opts.quietPct, maxS, (l) => process.stdout.write(`${l}\n`));
    this.#left -= Math.max(0, performance.now() - t0 - 1000);
    return busy;
  }
}

/** `npm run bench -- tls`. */
export async function runTls(group: ProcessGroup, paths: BenchPaths, opts: BenchOptions): Promise<TlsReport> {
  const rounds = intEnv('BENCH_TLS_ROUNDS', 3, 1, 20);
  const hs = { concurrency: intEnv('BENCH_TLS_HANDSHAKE_CONCURRENCY', 16, 1, 1000), warmupS: 1, durationS: intEnv('BENCH_TLS_HANDSHAKE_SECONDS', 4, 1, 600) };
  const certCount = intEnv('BENCH_TLS_CERTS', 10_000, 10, 100_000);
  const parts = selectedParts();
  const quiet = new QuietBudget(opts, intEnv('BENCH_TLS_QUIET_BUDGET', 60, 0, 3600));
  const machine = await machineInfo(group.pinning);
  const say = (l: string) => process.stdout.write(`${l}\n`);
  say(`\n== tls: TLS, HTTP/2 and certificates ==\n${machineLine(machine)}, load average ${machine.loadAvg1}\n${group.pinning.describe()}`);
  if (busyWarning(machine)) say(busyWarning(machine));
  const tools: Record<string, string> = {
    h2load: version(H2LOAD_BIN, ['--version']).replace(/^h2load /, ''),
    wrk: version(WRK_BIN, ['-v']).replace(/ Copyright.*$/, '').replace(/^wrk /, ''),
    nginx: version(NGINX_BIN, ['-v']).replace(/^nginx\//, ''),
    caddy: version(CADDY_BIN, ['version']).split(' ')[0] ?? '',
    openssl: version('openssl', ['version']).replace(/^OpenSSL /, '').replace(/ \(Library.*$/, ''),
  };
  say(`tools: ${Object.entries(tools).map(([k, v]) => `${k} ${v}`).join('; ')}`);
  const missing = (d: TlsScenarioDef): string | undefined => {
    if (d.part === 'h2' && !h2loadAvailable()) return `${H2LOAD_BIN} not found (apt-get install -y nghttp2-client)`;
    if (d.part === 'h1' && !wrkAvailable()) return `${WRK_BIN} not found (apt-get install -y wrk)`;
    if (d.proxy === 'nginx' && !nginxAvailable()) return `${NGINX_BIN} not found (apt-get install -y nginx-light)`;
    if (d.proxy === 'caddy' && !caddyAvailable()) return `${CADDY_BIN} not found (apt-get install -y caddy)`;
    return undefined;
  };
  const chosen = SCENARIOS.filter((d) => parts.includes(partOf(d.part)));
  const defs = chosen.filter((d) => missing(d) === undefined);
  say(
    `h2load -t1 -c${opts.connections} -m${STREAMS}, wrk -t1 -c${opts.connections}: ${opts.warmupS} s warm-up + ${opts.durationS} s measured; handshakes: ${hs.concurrency} loops, ` +
      `${hs.warmupS} s + ${hs.durationS} s; ${rounds} round(s) per scenario; parts ${parts.join(', ')}`,
  );

  const mint = new BenchCerts(group.tempDir('tls-certs'));
  const probe = async (url: string) => (await tlsGetOnce(url, { servername: 'localhost', path: '/' })).status;
  let upstream: NodeChild | undefined;
  let etcd: BenchEtcd | undefined;
  let current: Live | undefined;
  const extra: Managed[] = [];
  try {
    upstream = await startUpstream(group, paths);
    const upstreamHost = new URL(upstream.url).host;
    etcd = await startBenchEtcd(group);
    const etcdEndpoint = etcd.endpoint;
    await etcd.putMany([
      [`${PREFIX}/backends/up`, { servers: [{ id: 's1', url: upstream.url }] }],
      [`${PREFIX}/routes/main`, { match: { pathPrefix: '/' }, backend: 'up' }],
      [`${PREFIX}/certs/load`, certSpec(mint.loadCert, true)],
    ]);
    say(`- upstream ${upstream.url}; certificate: ECDSA P-256, SANs localhost, bench.test, 127.0.0.1 (self-signed; Junction's default, nginx's and Caddy's file)`);

    const launch = async (d: TlsScenarioDef, cpuProfDir?: string): Promise<Live> => {
      let live: Live;
      if (d.proxy === 'junction') {
        const j = await startReadyJunction(group, paths, { name: d.id, etcd: etcdEndpoint, prefix: PREFIX, accessLog: 'off', core: group.pinning.proxyCore, listenTls: true, ...(cpuProfDir ? { cpuProfDir } : {}) });
        const tlsUrl = j.tlsUrl ?? '';
        live = d.tls
          ? { pids: [j.managed.pid], origin: tlsUrl.replace('127.0.0.1', 'localhost'), connect: tlsUrl, managed: j.managed }
          : { pids: [j.managed.pid], origin: j.url, connect: j.url, managed: j.managed };
      } else if (d.proxy === 'nginx') {
        const n = await startNginxWith(
          group,
          `nginx-${d.id}`,
          group.pinning.proxyCore,
          (prefix, listenPort) => nginxConfig({ prefix, listenPort, upstream: upstreamHost, ...(d.tls ? { tls: { certFile: mint.loadCertFile, keyFile: mint.loadKeyFile } } : {}) }),
          d.tls ? { probe } : undefined,
        );
        live = { pids: [n.managed.pid], origin: n.url.replace('127.0.0.1', 'localhost'), connect: n.url, managed: n.managed };
      } else {
        const c = await startCaddy(group, `caddy-${d.id}`, group.pinning.proxyCore, { upstream: upstreamHost, certFile: mint.loadCertFile, keyFile: mint.loadKeyFile, probe });
        live = { pids: [c.managed.pid], origin: c.url.replace('127.0.0.1', 'localhost'), connect: c.url, managed: c.managed };
      }
      try {
        if (d.tls) {
          const r = await tlsGetOnce(live.connect, { servername: 'localhost', path: LOAD_PATH });
          if (r.status !== 200 || r.fingerprint256 !== mint.loadCert.fingerprint256) throw new Error(`${d.label}: ${LOAD_PATH} over TLS answered ${r.status}, certificate ${r.fingerprint256 ?? 'none'}`);
          if (d.part === 'h2' && (await tlsGetOnce(live.connect, { servername: 'localhost', alpn: ['h2', 'http/1.1'] })).alpn !== 'h2') throw new Error(`${d.label}: ALPN did not choose h2`);
        }
        return live;
      } catch (err) {
        await group.stop(live.managed, 5000);
        throw err;
      }
    };

    const runTool = (d: TlsScenarioDef, live: Live, label: string): Promise<ToolRun> => {
      if (d.part === 'h2') return runH2load(group, { label, url: `${live.origin}${LOAD_PATH}`, connections: opts.connections, streams: STREAMS, warmupS: opts.warmupS, durationS: opts.durationS }, live.pids);
      if (d.part === 'h1') return runWrk(group, { label, url: `${live.origin}${LOAD_PATH}`, connections: opts.connections, warmupS: opts.warmupS, durationS: opts.durationS }, live.pids);
      return runHandshakes(group, paths, { label, url: live.connect, servernames: ['localhost'], path: LOAD_PATH, concurrency: hs.concurrency, warmupS: hs.warmupS, durationS: hs.durationS, resume: d.part === 'resumed' }, live.pids);
    };

    const measure = async (label: string, round: number, run: () => Promise<ToolRun>): Promise<TlsRun> => {
      const busyBeforePct = await quiet.wait();
      const loadAvg1 = Math.round((loadavg()[0] ?? 0) * 100) / 100;
      const { result, window } = await run();
      const cpuUsPerReq = window && result.total > 0 ? Math.round(((window.processPct / 100) * window.wallS * 1e6 * 10) / result.total) / 10 : undefined;
      const proxyCore = group.pinning.enabled ? window?.corePct[group.pinning.proxyCore] : undefined;
      const loadCore = group.pinning.enabled ? window?.corePct[group.pinning.loadCore] : undefined;
      const othersOnProxyCorePct = window && proxyCore !== undefined ? Math.round(Math.max(0, proxyCore - window.processPct) * 10) / 10 : undefined;
      const othersOnLoadCorePct = window && loadCore !== undefined ? Math.round(Math.max(0, loadCore - (window.treePct - window.processPct)) * 10) / 10 : undefined;
      const reused = result.reused === undefined ? '' : `, resumed ${int(result.reused)}`;
      say(
        `  ${label} #${round}: ${int(result.rps)}/s, mean ${ms(result.latencyMs.mean)} ms${result.latencyMs.p99 === undefined ? '' : `, p99 ${ms(result.latencyMs.p99)} ms`}, ` +
          `errors ${result.errors}, non-2xx ${result.non2xx}${reused}${window ? `, CPU ${window.processPct}% = ${cpuUsPerReq} µs/req, cores ${window.corePct.map((c) => `${c}%`).join(' ')}` : ''}` +
          `${othersOnLoadCorePct === undefined ? '' : `, others on the load core ${othersOnLoadCorePct}%`}${othersOnProxyCorePct !== undefined && othersOnProxyCorePct > 10 ? ` (disturbed: others used ${othersOnProxyCorePct}% of the proxy core)` : ''}`,
      );
      return { round, result, cpuPct: window?.processPct, cpuUsPerReq, corePct: window?.corePct, othersOnProxyCorePct, othersOnLoadCorePct, busyBeforePct, loadAvg1 };
    };

    // --- 4 and 5: certificates at scale (first: the load runs below leave the machine warm and busy) --
    let certs: CertsPart | undefined;
    let certProfile: { id: string; label: string; rps: number; profile: ProfileSummary } | undefined;
    if (parts.includes('certs')) {
      say(`- certificates at scale: 10 vs ${int(certCount)} (self-signed leaves sharing one key, one per name h000000.bench.test…)`);
      const tMint = performance.now();
      const small = certSet(mint, `${PREFIX}-10`, 10, upstream.url);
      const large = certSet(mint, `${PREFIX}-${certCount}`, certCount, upstream.url);
      const mintMs = Math.round(performance.now() - tMint);
      const tWrite = performance.now();
      await etcd.putMany(small.entries);
      await etcd.putMany(large.entries);
      const writeMs = Math.round(performance.now() - tWrite);
      say(`  minted ${int(certCount + 10)} leaves in ${mintMs} ms; wrote them to etcd in ${writeMs} ms (128 puts per transaction)`);
      const sets: CertSet[] = [small.set, large.set];
      const started: Array<{ set: CertSet; j: Awaited<ReturnType<typeof startWithCerts>> }> = [];
      // BENCH_PROFILE=1: the large set's Junction runs under node --cpu-prof (its whole life: the load, the handshakes, the puts)
      const profDir = opts.profile === 'on' ? group.tempDir('tls-cpuprof-certs') : undefined;
      try {
        for (const set of sets) {
          const s = await startWithCerts(group, paths, etcd, set, set === large.set ? profDir : undefined);
          started.push({ set, j: s });
          extra.push(s.j.managed);
        }
        say(`- SNI lookup end to end: full handshakes naming 10 certificates spread over each set, ${rounds} alternating rounds`);
        const sni = started.map((s) => ({ certs: s.set.count, names: spreadNames(s.set, 10), runs: [] as TlsRun[] }));
        for (let round = 1; round <= rounds; round++) {
          for (const s of round % 2 === 1 ? started : [...started].reverse()) {
            const entry = sni.find((x) => x.certs === s.set.count);
            if (!entry) continue;
            const url = s.j.j.tlsUrl ?? '';
            entry.runs.push(await measure(`${int(s.set.count)} certificates`, round, () =>
              runHandshakes(group, paths, { label: `sni-${s.set.count}`, url, servernames: entry.names, path: LOAD_PATH, concurrency: hs.concurrency, warmupS: hs.warmupS, durationS: hs.durationS, resume: false }, [s.j.j.managed.pid]),
            ));
            if (group.interrupted) throw new Error('interrupted');
          }
        }
        say('- a certificate written -> the next handshake shows it, 50 writes each way (after 5 unmeasured ones):');
        const rotations = [];
        for (const s of started) {
          rotations.push(await rotationLatency(s.j.j, mint, s.set, 'admin', etcd, 50, 5));
          rotations.push(await rotationLatency(s.j.j, mint, s.set, 'etcd', etcd, 50, 0));
        }
        say('- SNI lookup alone (CertIndex.pick in this process):');
        const micro = sniMicro(small.set, large.set);
        say(`  10 certificates ${micro.small.ns} ns/pick; ${int(certCount)}: 10 names ${micro.largeTen.ns} ns, ${int(micro.spreadNames)} names ${micro.largeSpread.ns} ns`);
        certs = {
          sizes: sets.map((s) => s.count),
          loads: started.map((s) => s.j.load),
          rotations,
          sniHandshakes: sni.map((x) => ({ ...x, summary: summarizeTls(x.runs) })),
          micro,
          mintMs,
          writeMs,
        };
      } finally {
        for (const s of started) await group.stop(s.j.j.managed, 15_000); // a profile is written on a clean exit
      }
      const file = profDir ? readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
      if (profDir && file) {
        if (opts.profileOut) copyFileSync(join(profDir, file), opts.profileOut.replace(/(\.cpuprofile)?$/, '-certs.cpuprofile'));
        certProfile = { id: 'certs', label: `Junction with ${int(certCount)} certificates (load, SNI handshakes, puts)`, rps: 0, profile: summarizeProfile(join(profDir, file), 20) };
      }
    }

    // --- 1 to 3: load, every run on a fresh proxy ---------------------------------------------------
    const runs = new Map<string, TlsRun[]>(defs.map((d) => [d.id, []]));
    if (defs.length > 0) say(`- load: every run starts its proxy afresh on core ${group.pinning.proxyCore} (checked: it answers ${LOAD_PATH} over TLS with the bench certificate; h2: ALPN picks h2)`);
    for (let round = 1; round <= rounds && defs.length > 0; round++) {
      say(`- round ${round} of ${rounds}`);
      for (const d of round % 2 === 1 ? defs : [...defs].reverse()) {
        const live = await launch(d);
        current = live;
        try {
          runs.get(d.id)?.push(await measure(d.label, round, () => runTool(d, live, d.id)));
          if (group.interrupted) throw new Error('interrupted');
        } finally {
          current = undefined;
          await group.stop(live.managed, 10_000);
        }
        await sleep(200);
      }
    }
    const scenarios: TlsScenarioResult[] = chosen.map((d) => {
      const skip = missing(d);
      if (skip) return { ...d, skipped: skip, runs: [] };
      const rs = runs.get(d.id) ?? [];
      const summary = summarizeTls(rs);
      return { ...d, runs: rs, ...(summary ? { summary } : { failed: 'no run' }) };
    });

    const goals = judge(scenarios, certs);
    // profile Junction where a load goal is missed (or always with BENCH_PROFILE=1)
    const toProfile = defs.filter(
      (d) =>
        d.proxy === 'junction' &&
        d.tls &&
        (opts.profile === 'on' || (opts.profile === 'auto' && goals.some((g) => g.met === false && ((g.id === 'h2' && d.part === 'h2') || (g.id === 'h1' && d.part === 'h1'))))),
    );
    const profiles: Array<{ id: string; label: string; rps: number; profile: ProfileSummary }> = certProfile ? [certProfile] : [];
    for (const d of toProfile) {
      const dir = group.tempDir(`tls-cpuprof-${d.id}`);
      say(`- profiling ${d.label} (node --cpu-prof, same load; not counted in the table)`);
      try {
        const live = await launch(d, dir);
        current = live;
        let rps = 0;
        try {
          rps = (await runTool(d, live, `${d.id}-prof`)).result.rps;
        } finally {
          current = undefined;
          await group.stop(live.managed, 15_000); // the profile is written on a clean exit
        }
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (!file) continue;
        if (opts.profileOut) copyFileSync(join(dir, file), opts.profileOut.replace(/(\.cpuprofile)?$/, `-${d.id}.cpuprofile`));
        profiles.push({ id: d.id, label: d.label, rps, profile: summarizeProfile(join(dir, file), 20) });
      } catch (err) {
        say(`  profiling ${d.id} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }

    const allRuns = [...runs.values()].flat().concat(certs?.sniHandshakes.flatMap((x) => [...x.runs]) ?? []);
    const report: TlsReport = {
      machine,
      tools,
      load: { rounds, connections: opts.connections, streams: STREAMS, warmupS: opts.warmupS, durationS: opts.durationS, handshake: hs, path: LOAD_PATH },
      ...(allRuns.length > 0 ? { loadAvgDuringRuns: { min: Math.min(...allRuns.map((r) => r.loadAvg1)), max: Math.max(...allRuns.map((r) => r.loadAvg1)) } } : {}),
      scenarios,
      ...(certs ? { certs } : {}),
      goals,
      ...(profiles.length > 0 ? { profiles } : {}),
    };
    say(tlsText(report));
    const env = (name: string) => (process.env[name] ? `${name}=${process.env[name]} ` : '');
    const command =
      `${env('BENCH_TLS_PARTS')}${env('BENCH_TLS_CERTS')}${env('BENCH_TLS_HANDSHAKE_SECONDS')}BENCH_DURATION=${opts.durationS} BENCH_WARMUP=${opts.warmupS} ` +
      `BENCH_CONNECTIONS=${opts.connections} BENCH_TLS_ROUNDS=${rounds} npm run bench -- tls`;
    const jf = writeResult(paths, 'tls.json', report);
    const md = writeResult(paths, 'tls.md', tlsMarkdown(report, command));
    say(`wrote ${jf} and ${md}`);
    return report;
  } finally {
    if (current) await group.stop(current.managed, 10_000);
    for (const m of extra) await group.stop(m, 5000);
    if (etcd) {
      await etcd.close();
      await group.stop(etcd.managed, 5000);
    }
    if (upstream) await group.stop(upstream.managed, 2000);
  }
}

/** The goals of the issue, from the medians. */
function judge(scenarios: readonly TlsScenarioResult[], certs: CertsPart | undefined): TlsGoal[] {
  const by = (id: string) => scenarios.find((s) => s.id === id && s.summary);
  const goal = (id: string, what: string, value: number | undefined, limit: number, unit: 'x' | 'ms', strict: boolean, note?: string): TlsGoal => ({
    id,
    what,
    value,
    limit,
    unit,
    met: value === undefined ? undefined : strict ? value < limit : value <= limit,
    ...(note ? { note } : {}),
  });
  const goals: TlsGoal[] = [];
  if (scenarios.some((s) => s.part === 'h2')) {
    const vsNginx = cpuRatio(by('h2-junction'), by('h2-nginx'));
    goals.push(goal('h2', 'HTTP/2 over TLS, Junction / Caddy CPU µs per request', cpuRatio(by('h2-junction'), by('h2-caddy')), GOAL.h2VsCaddy, 'x', false, vsNginx === undefined ? undefined : `Junction / nginx: ${vsNginx.toFixed(2)}x`));
  }
  if (scenarios.some((s) => s.part === 'h1')) {
    const nginx = cpuRatio(by('h1-tls-nginx'), by('h1-nginx'));
    goals.push(goal('h1', 'HTTP/1.1 over TLS / plain HTTP/1.1, Junction CPU µs per request', cpuRatio(by('h1-tls-junction'), by('h1-junction')), GOAL.h1TlsVsPlain, 'x', false, nginx === undefined ? undefined : `nginx's own TLS / plain: ${nginx.toFixed(2)}x`));
  }
  if (certs) {
    const big = Math.max(...certs.sizes);
    const load = certs.loads.find((l) => l.certs === big);
    const small = certs.loads.find((l) => l.certs !== big);
    goals.push(goal('load', `${int(big)} certificates: spawn -> ready`, load?.readyMs, GOAL.loadMs, 'ms', true, small ? `10 certificates: ${small.readyMs} ms; startedAt -> appliedAt ${load?.internalMs ?? '?'} ms vs ${small.internalMs ?? '?'} ms` : undefined));
    for (const r of certs.rotations) {
      const how = r.via === 'admin' ? 'PUT /api/v1/certs/:id' : 'etcd put';
      goals.push(goal(`rotation-${r.via}-${r.certs}`, `certificate ${how} -> next handshake, p99 of ${r.served.count} (${int(r.certs)} certificates)`, r.served.p99, GOAL.rotationP99Ms, 'ms', true));
    }
    const hsSmall = certs.sniHandshakes.find((x) => x.certs !== big)?.summary?.cpuUsPerReq;
    const hsBig = certs.sniHandshakes.find((x) => x.certs === big)?.summary?.cpuUsPerReq;
    const m = certs.micro;
    goals.push(goal('sni-handshake', `SNI lookup end to end: CPU per full handshake, ${int(big)} / 10 certificates`, hsSmall && hsBig ? Math.round((hsBig / hsSmall) * 100) / 100 : undefined, GOAL.sniRatio, 'x', false));
    if (m) {
      goals.push(goal('sni-pick', `SNI lookup alone: CertIndex.pick, ${int(big)} certificates (10 names) / 10 certificates`, Math.round((m.largeTen.ns / m.small.ns) * 100) / 100, GOAL.sniRatio, 'x', false));
      goals.push(
        goal('sni-pick-spread', `SNI lookup alone: CertIndex.pick, ${int(big)} certificates (${int(m.spreadNames)} names spread) / 10 certificates`, Math.round((m.largeSpread.ns / m.small.ns) * 100) / 100, GOAL.sniRatio, 'x', false),
      );
    }
  }
  return goals;
}
