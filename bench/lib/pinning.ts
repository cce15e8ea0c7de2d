import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/** A core number, or 'all': every core (undoes the driver's own pinning, which children inherit). */
export type CoreChoice = number | 'all';

/** Which CPU cores the bench puts its processes on. */
export interface Pinning {
  /** true when `taskset` exists and the machine has at least two cores */
  readonly enabled: boolean;
  readonly cores: number;
  /** core of the proxy under test */
  readonly proxyCore: number;
  /** core of the load generator, the upstream, etcd and the bench driver */
  readonly loadCore: number;
  /** wraps a command so that it runs on `core` (unchanged when pinning is off) */
  wrap(core: CoreChoice, command: string, args: readonly string[]): { command: string; args: string[] };
  /** one line saying what is pinned where */
  describe(): string;
}

function hasTaskset(): boolean {
  const r = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return r.status === 0;
}

/** Detects `taskset`; with BENCH_PIN=0 pinning is off. */
export function detectPinning(env: NodeJS.ProcessEnv = process.env): Pinning {
  const cores = availableParallelism();
  const enabled = env['BENCH_PIN'] !== '0' && cores >= 2 && hasTaskset();
  const proxyCore = 1;
  const loadCore = 0;
  return {
    enabled,
    cores,
    proxyCore,
    loadCore,
    wrap: (core, command, args) =>
      enabled ? { command: 'taskset', args: ['-c', core === 'all' ? `0-${cores - 1}` : String(core), command, ...args] } : { command, args: [...args] },
    describe: () =>
      enabled
        ? `taskset: proxy under test on core ${proxyCore}; load generator, upstream, etcd and bench driver on core ${loadCore} (${cores} cores)`
        : `no pinning (${cores} core(s)${cores >= 2 ? ', taskset missing or BENCH_PIN=0' : ''}): processes share all cores`,
  };
}

/** Moves the current process (the bench driver) to `core`; no-op when pinning is off. */
export function pinSelf(pinning: Pinning, core: number): void {
  if (!pinning.enabled) return;
  spawnSync('taskset', ['-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
}
