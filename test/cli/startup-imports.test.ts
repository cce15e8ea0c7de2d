/**
 * The CLI loads only what the command it runs needs: a client command (`junction status`) or
 * `junction version` must not pull in the proxy's modules (etcd3 and its gRPC, undici, prom-client,
 * pino) or the validator's (TypeBox, ajv). Each of those costs tens to hundreds of milliseconds
 * of start-up, on every call a script makes. Module loads are recorded with a resolve hook
 * (module.register), on a real run of bin/junction.js against a real admin listener.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { BIN } from './cli-process.js';

const HEAVY = ['etcd3', '@grpc', 'undici', 'prom-client', 'pino', '@sinclair/typebox', 'ajv', 'opossum', 'ws', 'http-proxy-3'];

let j: TestJunction;
let dir: string;
let hook: string;

before(async () => {
  j = await startTestJunction();
  dir = mkdtempSync(join(tmpdir(), 'junction-imports-'));
  // the resolve hook runs on the loader thread; it appends each resolved URL to the file named by the env
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.JUNCTION_TEST_IMPORTS, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  hook = join(dir, 'register.mjs');
});
after(async () => {
  await j?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `node --import <hook> bin/junction.js ...args`; returns the exit code and every module URL it resolved. */
function loaded(name: string, args: string[]): Promise<{ code: number | null; stderr: string; urls: string[] }> {
  const out = join(dir, `${name}.txt`);
  writeFileSync(out, '');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(hook).href, BIN, ...args], {
      env: { ...process.env, JUNCTION_TEST_IMPORTS: out, JUNCTION_ADMIN_URL: j.adminUrl },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, urls: readFileSync(out, 'utf8').split('\n').filter(Boolean) });
    });
  });
}

function heavyIn(urls: readonly string[]): string[] {
  return urls.filter((u) => HEAVY.some((pkg) => u.includes(`/node_modules/${pkg}/`)) || u.endsWith('/dist/src/junction.js'));
}

for (const [name, args] of [
  ['status', ['status']],
  ['route list', ['route', 'list']],
  ['cert list', ['cert', 'list']],
  ['canary', ['canary', '--help']],
  ['version', ['version']],
] as const) {
  test(`junction ${name} loads none of the proxy's or the validator's modules`, async () => {
    const r = await loaded(name.replace(/\W/g, '-'), [...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.urls.some((u) => u.endsWith('/dist/src/cli/main.js')), 'the hook saw the CLI load');
    assert.deepEqual(heavyIn(r.urls), []);
  });
}

test('the recording sees heavy modules when a command does load them (junction validate)', async () => {
  writeFileSync(join(dir, 'config.json'), '{"routes":{}}');
  const r = await loaded('validate', ['validate', join(dir, 'config.json')]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(heavyIn(r.urls).some((u) => u.includes('/node_modules/ajv/')), 'validate loads ajv');
});
