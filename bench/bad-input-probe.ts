/**
 * `node dist/bench/bad-input-probe.js`: the same exact bytes, case by case, against Junction,
 * nginx and HAProxy, all in front of one recording upstream on loopback (docs/bench.md, "Bad-input
 * probe"). For each case and proxy: the status lines the client got and when, how the connection
 * ended, and what the upstream received. Prints a Markdown table and writes
 * bench/results/bad-input.md and bad-input.json. BENCH_JUNCTION_BIN picks the Junction build,
 * BENCH_NGINX_BIN and BENCH_HAPROXY_BIN the others (a proxy that is not installed is left out).
 * Every process it starts is stopped by PID at the end, on an error and on Ctrl-C.
 */
import { CASES, type ProbeCase } from './lib/bad-input-cases.js';
import { reportMarkdown, type BadInputReport, type CaseResult, type ProxyOutcome } from './lib/bad-input-report.js';
import { benchPaths } from './lib/bench-paths.js';
import { machineInfo } from './lib/machine.js';
import { detectPinning } from './lib/pinning.js';
import { ProcessGroup } from './lib/process-group.js';
import { probeProxies, type ProbeProxy } from './lib/probe-proxies.js';
import { exchange } from './lib/raw-exchange.js';
import { RecordingUpstream } from './lib/recording-upstream.js';
import { writeResult } from './lib/results.js';
import { sleep } from './lib/time.js';

/** the longest one case may take on one proxy */
const DEADLINE_MS = 6000;
/** after a complete final answer, this much silence ends the case (the proxy kept the connection) */
const IDLE_MS = 500;
/** after the exchange, time for a late request to reach the upstream */
const GRACE_MS = 200;

async function runCase(c: ProbeCase, p: ProbeProxy, upstream: RecordingUpstream): Promise<ProxyOutcome> {
  upstream.take();
  const ex = await exchange({
    port: p.port,
    bytes: c.bytes(`127.0.0.1:${p.port}`),
    deadlineMs: DEADLINE_MS,
    idleMs: c.untilClose ? undefined : IDLE_MS,
  });
  await sleep(GRACE_MS);
  const seen = upstream.take();
  const outcome = { proxy: p.name, proxyPort: p.port, exchange: ex, upstream: seen };
  if (await p.healthy()) return outcome;
  await p.restart();
  upstream.take();
  return { ...outcome, restarted: `${p.name} did not answer GET / afterwards: restarted` };
}

async function main(): Promise<number> {
  const paths = benchPaths();
  // a probe, not a load bench: nothing is pinned
  const pinning = detectPinning({ ...process.env, BENCH_PIN: '0' });
  const group = new ProcessGroup(pinning);
  const uninstall = group.installSignalHandlers();
  const upstream = await RecordingUpstream.start();
  try {
    const machine = await machineInfo(pinning);
    const { proxies, skipped } = probeProxies(group, paths, `127.0.0.1:${upstream.port}`);
    for (const p of proxies) {
      process.stderr.write(`starting ${p.name} (${p.version})\n`);
      await p.up();
    }
    const cases: CaseResult[] = [];
    for (const c of CASES) {
      const outcomes: ProxyOutcome[] = [];
      for (const p of proxies) {
        if (group.interrupted) return 130;
        outcomes.push(await runCase(c, p, upstream));
      }
      const bytes = Buffer.byteLength(c.bytes('127.0.0.1:65535'), 'latin1');
      cases.push({ id: c.id, issue: c.issue, summary: c.summary, bytes, outcomes });
      process.stderr.write(`  ${c.issue} ${c.id}: ${outcomes.map((o) => `${o.proxy} ${o.exchange.responses.map((r) => r.status).join('+') || o.exchange.end}`).join(', ')}\n`);
    }
    const report: BadInputReport = {
      command: `${process.env['BENCH_JUNCTION_BIN'] ? `BENCH_JUNCTION_BIN=${process.env['BENCH_JUNCTION_BIN']} ` : ''}node dist/bench/bad-input-probe.js`,
      machine,
      versions: Object.fromEntries(proxies.map((p) => [p.name, p.version])),
      upstreamPort: upstream.port,
      deadlineMs: DEADLINE_MS,
      idleMs: IDLE_MS,
      notes: [
        ...proxies.flatMap((p) => p.notes.map((n) => `${p.name}: ${n}`)),
        ...proxies.filter((p) => p.restarts > 0).map((p) => `${p.name} was restarted ${p.restarts} time(s) after a case left it unable to answer`),
        ...skipped,
      ],
      cases,
    };
    const md = reportMarkdown(report, CASES, proxies.map((p) => p.name));
    process.stdout.write(`\n${md}`);
    const files = [writeResult(paths, 'bad-input.md', md), writeResult(paths, 'bad-input.json', report)];
    process.stderr.write(`\nwrote ${files.join(', ')}\n`);
    return 0;
  } finally {
    await upstream.close();
    await group.stopAll();
    uninstall();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bad-input probe: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
