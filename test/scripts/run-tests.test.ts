/**
 * scripts/run-tests.mjs (what `npm test` runs) against a stale compiled test: a dist/test/…/*.test.js
 * whose test/…/*.test.ts source is gone must not run, and is removed, named on stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(root, 'scripts', 'run-tests.mjs');

function runRunner(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // without NODE_TEST_CONTEXT the inner `node --test` reports as a top-level run (tap), not to this one
  const env: NodeJS.ProcessEnv = { ...process.env, JUNCTION_TEST_REPORTER: 'tap' };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`run-tests did not exit within 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a compiled test whose source is gone is not run but removed, and named; the others run', async () => {
  const probe = `stale-probe-${process.pid}`;
  const dir = join(root, 'dist', 'test', probe);
  const stale = join(dir, 'gone.test.js');
  mkdirSync(dir, { recursive: true });
  try {
    // what tsc leaves behind of a deleted test/<probe>/gone.test.ts: it fails if it ever runs
    writeFileSync(stale, `import { test } from 'node:test';\ntest('STALE-TEST-RAN', () => { throw new Error('stale test ran'); });\n`);
    writeFileSync(`${stale}.map`, '{}');
    writeFileSync(join(dir, 'gone.test.d.ts'), 'export {};\n');
    assert.equal(existsSync(join(root, 'test', probe, 'gone.test.ts')), false);

    const r = await runRunner([probe, 'dist/test/health/bucket-clocks.test.js']);
    assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    assert.doesNotMatch(r.stdout, /STALE-TEST-RAN/);
    assert.match(r.stdout, /^# pass [1-9]/m, 'the test with a source ran');
    assert.match(r.stderr, new RegExp(`^run-tests: removed stale dist/test/${probe}/gone\\.test\\.js \\(its source test/${probe}/gone\\.test\\.ts is gone\\)$`, 'm'));
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(`${stale}.map`), false);
    assert.equal(existsSync(join(dir, 'gone.test.d.ts')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
