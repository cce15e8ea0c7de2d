/**
 * `junction validate FILE`: offline, every error with its key and field, references checked
 * within the file, filter configs checked against the built-in modules; exit 0 / 1 / 2.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './cli-process.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'junction-validate-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return p;
}

const VALID = {
  routes: {
    api: { match: { pathPrefix: '/api/' }, split: [{ backend: 'v1', weight: 90 }, { backend: 'v2', weight: 10 }], filters: ['strip'], tee: [{ backend: 'shadow', percent: 5 }] },
  },
  backends: { v1: { servers: [{ id: 'a', url: 'http://10.0.0.1:8080' }] }, v2: {}, shadow: {} },
  servers: { v2: { s1: { url: 'http://10.0.0.2:8080', weight: 2 } } },
  filters: { strip: { type: 'strip-prefix', config: { prefix: '/api' } } },
};

test('a valid configuration exits 0 with a summary', async () => {
  const r = await run(['validate', file('ok.json', VALID)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /is valid: 1 routes, 3 backends, 1 servers, 1 filters/);
  assert.equal(r.stderr, '');
});

test('every error is printed with its key and field; exit 1', async () => {
  const bad = {
    routes: {
      api: { match: { pathPrefix: 'api' }, split: [{ backend: 'v1', weight: 1 }, { backend: 'gone', weight: 1 }], filters: ['nofilter'] },
      'Bad-Id': { backend: 'v1' },
    },
    backends: { v1: { balancer: 'fastest' } },
    servers: { ghost: { s1: { url: 'http://10.0.0.9:1' } }, v1: { s2: { url: 'ftp://x' } } },
    filters: { f: { type: 'strip-prefix', config: { prefix: 7 } }, g: { type: 'no-such-module' } },
    extras: {},
  };
  const r = await run(['validate', file('bad.json', bad)]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  const expect = [
    /^junction: \(file\): extras: is not a known section/,
    /^junction: routes\/api: match\.pathPrefix: /,
    /^junction: routes\/api: split\[1\]\.backend: names backend gone, which does not exist$/,
    /^junction: routes\/api: filters\[0\]: names filter nofilter, which does not exist$/,
    /^junction: routes\/Bad-Id: \(key\): /,
    /^junction: backends\/v1: balancer: /,
    /^junction: servers\/ghost\/s1: \(key\): backend ghost does not exist$/,
    /^junction: servers\/v1\/s2: url: /,
    /^junction: filters\/f: config\.prefix: /,
    /^junction: filters\/g: type: /,
  ];
  for (const re of expect) assert.ok(lines.some((l) => re.test(l)), `${re} in\n${r.stderr}`);
  assert.match(lines[lines.length - 1] as string, /is invalid: \d+ errors$/);

  const js = await run(['validate', '--json', join(dir, 'bad.json')]);
  assert.equal(js.code, 1);
  const body = JSON.parse(js.stdout);
  assert.equal(body.valid, false);
  assert.ok(body.errors.some((e: { key: string; field: string }) => e.key === 'routes/api' && e.field === 'split[1].backend'));
});

test('not JSON is exit 1; a missing file or a bad flag is exit 2', async () => {
  const notJson = await run(['validate', file('broken.json', '{"routes": ')]);
  assert.equal(notJson.code, 1);
  assert.match(notJson.stderr, /\(document\): is not valid JSON/);
  assert.equal((await run(['validate', join(dir, 'absent.json')])).code, 2);
  assert.equal((await run(['validate'])).code, 2);
  assert.equal((await run(['validate', '--frob', 'x'])).code, 2);
});
