import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BenchPaths } from './bench-paths.js';

/** Writes bench/results/<name> and returns the path relative to the repo (for printing). */
export function writeResult(paths: BenchPaths, name: string, content: unknown): string {
  mkdirSync(paths.results, { recursive: true });
  const file = join(paths.results, name);
  writeFileSync(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  return relative(paths.repo, file);
}
