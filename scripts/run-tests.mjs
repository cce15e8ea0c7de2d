#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node:test.
// Usage: node scripts/run-tests.mjs [substring ...]  — only files whose path contains a substring.
// Node 20's `node --test` takes no globs, so the files are listed here.
//
// tsc never deletes what it emitted: after a test .ts is deleted or renamed, its compiled .js stays
// in dist/test and would still run (passing or failing on code that no longer exists). So only the
// compiled tests whose source test/…/*.test.ts exists are run; a stale one is removed, with its
// .js.map, .d.ts and .d.ts.map, and named on stderr.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'dist', 'test');

function walk(d, out) {
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

/** dist/test/a/b.test.js -> test/a/b.test.ts */
const sourceOf = (compiled) => join(root, 'test', relative(dir, compiled).replace(/\.js$/, '.ts'));

const compiled = walk(dir, []).sort();
const stale = compiled.filter((f) => !existsSync(sourceOf(f)));
for (const f of stale) {
  for (const ext of ['', '.map']) rmSync(f + ext, { force: true });
  for (const ext of ['.d.ts', '.d.ts.map']) rmSync(f.replace(/\.js$/, ext), { force: true });
  process.stderr.write(`run-tests: removed stale ${relative(root, f)} (its source ${relative(root, sourceOf(f))} is gone)\n`);
}

const filters = process.argv.slice(2);
const files = compiled
  .filter((f) => !stale.includes(f))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)));
if (files.length === 0) {
  process.stderr.write(`no test files found under ${relative(root, dir)}${filters.length ? ` matching ${filters.join(', ')}` : ''}\n`);
  process.exit(1);
}
const concurrency = process.env.JUNCTION_TEST_CONCURRENCY ?? '2';
const args = ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000'];
if (process.env.JUNCTION_TEST_REPORTER) args.push(`--test-reporter=${process.env.JUNCTION_TEST_REPORTER}`);
const r = spawnSync(process.execPath, [...args, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
