/**
 * `npm run bench [-- throughput|config|routes|all]` (default all), and the benches that `all` does
 * not run: `npm run bench -- tee` (shadow traffic cost) and `npm run bench -- filters` (filter chain
 * cost) and `npm run bench -- soak` (10 minutes of load and config changes, leak bounds) and `npm run bench -- tls`
 * (TLS and HTTP/2 cost vs nginx and Caddy, handshakes, certificates at scale). See docs/bench.md.
 * Every process the bench starts is stopped by PID at the end, on an error and on Ctrl-C.
 */
import { runConfigLatency } from './config-latency.js';
import { benchPaths } from './lib/bench-paths.js';
import { benchOptions } from './lib/options.js';
import { detectPinning, pinSelf } from './lib/pinning.js';
import { ProcessGroup } from './lib/process-group.js';
import { runFilters } from './filters.js';
import { runRoutesLoad } from './routes-load.js';
import { runSoak } from './soak.js';
import { runTee } from './tee.js';
import { runTls } from './tls.js';
import { runThroughput } from './lib/throughput.js';

const SUITES = ['throughput', 'config', 'routes'] as const;
/** run only when named, never by `all` */
const EXTRA_SUITES = ['tee', 'filters', 'soak', 'tls'] as const;
type Suite = (typeof SUITES)[number] | (typeof EXTRA_SUITES)[number];
const KNOWN: readonly Suite[] = [...SUITES, ...EXTRA_SUITES];

function parseSuites(argv: readonly string[]): Suite[] {
  const bad = argv.filter((a) => a !== 'all' && !(KNOWN as readonly string[]).includes(a));
  if (bad.length > 0) throw new Error(`unknown bench ${bad.join(', ')}: expected ${KNOWN.join(' | ')} | all`);
  if (argv.length === 0) return [...SUITES];
  const all = argv.includes('all');
  return KNOWN.filter((s) => argv.includes(s) || (all && (SUITES as readonly string[]).includes(s)));
}

export async function main(argv: readonly string[]): Promise<number> {
  const suites = parseSuites(argv);
  const opts = benchOptions();
  const paths = benchPaths();
  const pinning = detectPinning();
  pinSelf(pinning, pinning.loadCore);
  const group = new ProcessGroup(pinning);
  const uninstall = group.installSignalHandlers();
  let failures = 0;
  try {
    for (const suite of suites) {
      try {
        if (suite === 'throughput') await runThroughput(group, paths, opts);
        else if (suite === 'config') await runConfigLatency(group, paths, opts);
        else if (suite === 'routes') await runRoutesLoad(group, paths, opts);
        else if (suite === 'tee') await runTee(group, paths, opts);
        else if (suite === 'soak') await runSoak(group, paths, opts);
        else if (suite === 'tls') await runTls(group, paths, opts);
        else await runFilters(group, paths, opts);
      } catch (err) {
        failures++;
        if (group.interrupted) break;
        process.stderr.write(`\nbench ${suite} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
      await group.stopAll();
    }
  } finally {
    await group.stopAll();
    uninstall();
  }
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
