import type { BenchPaths } from './bench-paths.js';
import { cpuWindow, type CpuWindow } from './cpu-usage.js';
import type { ProcessGroup } from './process-group.js';
import type { LoadResult, LoadSpec, RunMessage, WorkerMessage } from './load-types.js';
import { within } from './time.js';

export type { LoadResult, LoadSpec, LoadRequest } from './load-types.js';

function progressLine(spec: LoadSpec, msg: Extract<WorkerMessage, { type: 'tick' }>): string {
  const of = msg.phase === 'warmup' ? spec.warmupS : spec.durationS;
  const phase = msg.phase === 'warmup' ? 'warm-up' : 'measure';
  return `  ${spec.label.padEnd(24)} ${phase} ${String(Math.min(msg.second, of)).padStart(3)}/${of} s  ${msg.requests.toLocaleString('en-US').padStart(8)} req/s`;
}

/**
 * Runs the load in a child process (autocannon as a library), pinned to the load core, and
 * prints progress once a second (in place on a terminal, one line every 2 s otherwise).
 */
export async function runLoad(group: ProcessGroup, paths: BenchPaths, spec: LoadSpec): Promise<LoadResult> {
  return (await runLoadWatched(group, paths, spec, [])).result;
}

/** runLoad, plus the CPU use of `pids` (and the cores) during the measured part. */
export async function runLoadWatched(
  group: ProcessGroup,
  paths: BenchPaths,
  spec: LoadSpec,
  pids: readonly number[],
): Promise<{ result: LoadResult; cpu: CpuWindow | undefined }> {
  let window: ReturnType<typeof cpuWindow> | undefined;
  const worker = group.spawn(`load:${spec.label}`, process.execPath, [paths.script('lib/load-worker.js')], {
    core: group.pinning.loadCore,
    ipc: true,
    stdout: 'capture',
    stderr: 'capture',
  });
  const tty = process.stdout.isTTY === true;
  const done = new Promise<{ result: LoadResult; cpu: CpuWindow | undefined }>((resolve, reject) => {
    worker.child.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'measuring') {
        window = cpuWindow(pids);
      } else if (msg.type === 'tick') {
        const line = progressLine(spec, msg);
        if (tty) process.stdout.write(`\r${line}\x1b[K`);
        else if (msg.second % 2 === 0) process.stdout.write(`${line}\n`);
      } else if (msg.type === 'result') {
        resolve({ result: msg.result, cpu: window?.end(msg.result.total) });
      } else {
        reject(new Error(`load generator failed for ${spec.label}: ${msg.message}`));
      }
    });
    void worker.exited.then((e) =>
      reject(new Error(`load generator exited (code ${e.code}) before a result for ${spec.label}${worker.output() ? `:\n${worker.output()}` : ''}`)),
    );
  });
  const run: RunMessage = { type: 'run', spec };
  worker.child.send(run);
  try {
    return await within(done, (spec.warmupS + spec.durationS + 30) * 1000, `load run ${spec.label}`);
  } finally {
    if (tty) process.stdout.write('\r\x1b[K');
    await group.stop(worker, 2000);
  }
}
