/**
 * Access-log micro-bench: the CPU cost of one access line, and of its `time` field alone.
 * Run: `npx tsc -p . && node dist/bench/access-log.js` (from the repo root); not part of `npm run bench`.
 *
 * Variants:
 *  - `record`: `AccessLog.record` with a typical record (the whole line, as shipped);
 *  - the `time` value alone, three ways: `epoch` (`${Date.now()}`, the access line's form before it
 *    became ISO), `toISOString` (a fresh `new Date().toISOString()` per line, what pino's `isoTime`
 *    does for the process log) and `IsoTime` (the formatted second cached, milliseconds appended).
 * The sink reads each line's length and one character (reading a character flattens the
 * concatenated string, as the real sink's `Buffer.byteLength` does); batching and writing are left out.
 *
 * Each measurement runs in a child process of its own (so one variant's JIT state cannot colour
 * another's), the variants interleaved round by round (so a busy neighbour slows them all alike),
 * timed by the child's CPU time (`process.cpuUsage`) over LINES lines after a warm-up.
 * Prints the median and the minimum ns/line over ROUNDS rounds (on a shared machine the minimum is
 * the steadier figure: interference only ever adds time).
 * Environment: BENCH_ACCESS_LOG_LINES (default 1,000,000), BENCH_ACCESS_LOG_ROUNDS (default 9).
 * `node dist/bench/access-log.js VARIANT` runs one measurement and prints its ns/line.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AccessLog, type AccessRecord, type LineSink } from '../src/observability/access-log.js';
import { IsoTime } from '../src/observability/iso-time.js';

const LINES = Number(process.env.BENCH_ACCESS_LOG_LINES ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ACCESS_LOG_ROUNDS ?? 9);

const RECORD: AccessRecord = {
  reqId: '3f2b7c1e-9d4a-4e7b-8c21-5a6f0d9e1b42',
  ip: '10.1.2.3',
  method: 'GET',
  protocol: 'http/1.1',
  host: 'api.example.com',
  url: '/v1/users?id=7',
  status: 200,
  ms: 3.2149,
  route: 'api',
  backend: 'api-v1',
  server: 's1',
  detail: undefined,
};

/** fed by every variant and printed, so no work can be optimised away */
let checksum = 0;
const take = (s: string): void => {
  checksum += s.length + s.charCodeAt(s.length - 2);
};
const sink: LineSink = { write: take };

const VARIANTS: Readonly<Record<string, (n: number) => void>> = {
  record: (n) => {
    const log = new AccessLog(sink);
    for (let i = 0; i < n; i++) log.record(RECORD);
  },
  epoch: (n) => {
    for (let i = 0; i < n; i++) take(`${Date.now()}`);
  },
  toISOString: (n) => {
    for (let i = 0; i < n; i++) take(new Date().toISOString());
  },
  IsoTime: (n) => {
    const iso = new IsoTime();
    for (let i = 0; i < n; i++) take(iso.format(Date.now()));
  },
};

const LABELS: Readonly<Record<string, string>> = {
  record: 'whole line: AccessLog.record',
  epoch: 'time alone: `${Date.now()}` (epoch ms)',
  toISOString: 'time alone: new Date().toISOString()',
  IsoTime: 'time alone: IsoTime.format(Date.now())',
};

function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** one measurement in this process: ns/line */
function measure(name: string): number {
  const run = VARIANTS[name];
  if (run === undefined) throw new Error(`unknown variant ${name}: expected ${Object.keys(VARIANTS).join(' | ')}`);
  run(Math.min(LINES, 300_000)); // warm-up: let the JIT settle
  const t0 = cpuNs();
  run(LINES);
  return (cpuNs() - t0) / LINES;
}

const variant = process.argv[2];
if (variant !== undefined) {
  const ns = measure(variant);
  process.stdout.write(`${ns} ${checksum}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const names = Object.keys(VARIANTS);
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const out = execFileSync(process.execPath, [self, name], { encoding: 'utf8' });
      samples.get(name)!.push(Number(out.split(' ')[0]));
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(`access-log micro-bench: ${LINES.toLocaleString('en')} lines x ${ROUNDS} rounds, CPU ns/line (node ${process.version})\n`);
  process.stdout.write(`  ${''.padEnd(42)} ${'median'.padStart(6)} ${'min'.padStart(6)}\n`);
  for (const name of names) {
    const xs = samples.get(name)!;
    process.stdout.write(`  ${LABELS[name]!.padEnd(42)} ${median(xs).toFixed(0).padStart(6)} ${Math.min(...xs).toFixed(0).padStart(6)}\n`);
  }
}
