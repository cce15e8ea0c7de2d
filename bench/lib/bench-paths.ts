import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** Where things are, seen from the compiled file dist/bench/lib/bench-paths.js. */
export interface BenchPaths {
  readonly repo: string;
  readonly junctionBin: string;
  readonly results: string;
  /** compiled bench script by path relative to dist/bench, e.g. 'lib/upstream-server.js' */
  script(rel: string): string;
}

export function benchPaths(): BenchPaths {
  const here = dirname(fileURLToPath(import.meta.url));
  const distBench = join(here, '..');
  const repo = join(distBench, '..', '..');
  return {
    repo,
    // BENCH_JUNCTION_BIN: another build's bin/junction.js, to compare two versions on one machine
    junctionBin: process.env.BENCH_JUNCTION_BIN ?? join(repo, 'bin', 'junction.js'),
    results: join(repo, 'bench', 'results'),
    script: (rel) => join(distBench, rel),
  };
}
