import type { BenchPaths } from './bench-paths.js';
import { freePort } from './free-port.js';
import { Poller } from './http-get.js';
import type { ProcessGroup } from './process-group.js';
import { sleep } from './time.js';

/** `junction serve` exits with this code on a usage error, e.g. a flag this version refuses. */
const USAGE_EXIT = 2;

/**
 * Whether this build of Junction runs `serve --workers N`: starts it briefly on the embedded store
 * (temp data dir, free ports) and waits for the process to exit or for its admin /healthz to answer.
 * Returns undefined when it serves, else why not (the serve command's own line when it refused).
 */
export async function probeWorkers(group: ProcessGroup, paths: BenchPaths, workers: number, timeoutMs = 15_000): Promise<string | undefined> {
  const dir = group.tempDir('workers-probe');
  const [listen, admin] = [await freePort(), await freePort()];
  const args = [
    paths.junctionBin, 'serve',
    '--workers', String(workers),
    '--listen', `127.0.0.1:${listen}`,
    '--admin', `127.0.0.1:${admin}`,
    '--data-dir', dir,
    '--instance-id', 'bench-workers-probe',
    '--log-level', 'warn',
  ];
  const m = group.spawn('junction:workers-probe', process.execPath, args, { stdout: 'capture', stderr: 'capture', cwd: paths.repo });
  const poller = new Poller(`http://127.0.0.1:${admin}`);
  const deadline = performance.now() + timeoutMs;
  try {
    while (performance.now() < deadline) {
      if (!m.running()) {
        const { code } = await m.exited;
        const line = m.output().trim().split('\n').find((l) => l.trim() !== '') ?? '';
        const what = code === USAGE_EXIT && /not available/i.test(line) ? 'not available in this build' : 'failed to start';
        return `--workers ${workers} ${what}: \`junction serve --workers ${workers}\` exited with code ${code}${line ? `: ${line.trim().replace(/^junction: /, '')}` : ''}`;
      }
      const r = await poller.get('/healthz').catch(() => undefined);
      if (r?.status === 200) return undefined;
      await sleep(100);
    }
    return `--workers ${workers}: no answer on /healthz within ${timeoutMs} ms of the probe`;
  } finally {
    await poller.close();
    await group.stop(m, 10_000);
    group.removeDir(dir);
  }
}
