/**
 * The admin client commands against a running Junction (with a token), through the real binary:
 * what they print, what they write to the store, and the exit codes scripts rely on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { run } from './cli-process.js';

const TOKEN = 'cli-token';
let j: TestJunction;
let up: TestUpstream;
let dir: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  j = await startTestJunction({ adminToken: TOKEN });
  up = await startUpstream('cli-up');
  dir = mkdtempSync(join(tmpdir(), 'junction-cli-'));
  env = { JUNCTION_ADMIN_URL: j.adminUrl, JUNCTION_ADMIN_TOKEN: TOKEN };
});
after(async () => {
  await j?.stop();
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, doc: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
}

function expectCode(r: { code: number | null; stderr: string }, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
}

async function stored(rel: string): Promise<any> {
  const kv = await j.store.get(`/junction/${rel}`);
  return kv === undefined ? undefined : JSON.parse(kv.value);
}

test('backend, route and filter put/list/get/delete', async () => {
  // independent commands run side by side: each is a process start
  const [b, b2] = await Promise.all([
    run(['backend', 'put', file('v1.json', { servers: [{ id: 'a', url: up.url }] })], env),
    run(['backend', 'put', 'v2', file('other.json', { servers: [{ id: 'b', url: up.url }] })], env),
  ]);
  expectCode(b, 0);
  expectCode(b2, 0);
  assert.match(b.stdout, /^backends\/v1 created \(mod revision \d+\)/);
  const [r, f] = await Promise.all([
    run(['route', 'put', 'api', file('route.json', { match: { host: 'api.example.com', pathPrefix: '/v1/' }, backend: 'v1' })], env),
    run(['filter', 'put', 'strip', file('f.json', { type: 'strip-prefix', config: { prefix: '/v1' } })], env),
  ]);
  expectCode(r, 0);
  expectCode(f, 0);

  const [list, backends, got, gotJson, dry] = await Promise.all([
    run(['route', 'list'], env),
    run(['backend', 'list', '--json'], env),
    run(['route', 'get', 'api'], env),
    run(['route', 'get', 'api', '--json'], env),
    run(['route', 'put', 'dry', file('dry.json', { backend: 'v1' }), '--dry-run'], env),
  ]);
  expectCode(list, 0);
  assert.match(list.stdout, /^ID\s+MATCH\s+TARGET\s+PRIO\s+MODREV\s+PROBLEMS$/m);
  assert.match(list.stdout, /^api\s+api\.example\.com \/v1\/\*\s+v1\s+0\s+\d+\s+-$/m);
  assert.deepEqual(Object.keys(JSON.parse(backends.stdout).items), ['v1', 'v2']);
  assert.deepEqual(JSON.parse(got.stdout), { match: { host: 'api.example.com', pathPrefix: '/v1/' }, backend: 'v1' });
  const asJson = JSON.parse(gotJson.stdout);
  assert.equal(asJson.id, 'api');
  assert.equal(typeof asJson.modRevision, 'number');
  expectCode(dry, 0);
  assert.match(dry.stdout, /valid \(dry run/);
  assert.equal(await stored('routes/dry'), undefined);

  expectCode(await run(['filter', 'delete', 'strip'], env), 0);
  assert.equal(await stored('filters/strip'), undefined);
});

test('exit codes: 1 invalid (one line per field), 2 usage, 3 unreachable, 4 bad token, 5 not found, 6 conflict or in use', async () => {
  const [invalid, broken] = await Promise.all([
    run(['route', 'put', 'bad', file('bad.json', { match: { pathPrefix: 'x' }, split: [{ backend: 'ghost', weight: 1 }] })], env),
    run(['route', 'put', 'bad', file('broken.json', '{oops')], env),
  ]);
  assert.equal(invalid.code, 1);
  const lines = invalid.stderr.trim().split('\n');
  assert.ok(lines.every((l) => l.startsWith('junction: ')), invalid.stderr);
  assert.ok(lines.some((l) => /match\.pathPrefix: /.test(l)), invalid.stderr);
  assert.ok(lines.some((l) => /split\[0\]\.backend: names backend ghost/.test(l)), invalid.stderr);
  expectCode(broken, 1);

  const usages = [['route'], ['route', 'frob'], ['route', 'get'], ['route', 'get', 'Bad Id'], ['route', 'list', '--bogus'], ['canary', 'api', 'v1=lots'], ['tee', 'api', 'v1', '--percent', '150'], ['route', 'put', 'x', join(dir, 'missing.json')]];
  const answers = await Promise.all(usages.map((args) => run(args, env)));
  answers.forEach((a, i) => {
    assert.equal(a.code, 2, `${usages[i]?.join(' ')}: ${a.stderr}`);
    assert.equal(a.stderr.trim().split('\n').length, 1, a.stderr);
  });

  const [unreachable, badToken, noToken, getMissing, delMissing, stale, inUse] = await Promise.all([
    run(['status'], { ...env, JUNCTION_ADMIN_URL: 'http://127.0.0.1:9' }),
    run(['status', '--admin-token', 'wrong'], env),
    run(['route', 'list'], { ...env, JUNCTION_ADMIN_TOKEN: '' }),
    run(['route', 'get', 'nope'], env),
    run(['route', 'delete', 'nope'], env),
    run(['route', 'put', 'api', file('r2.json', { backend: 'v1' }), '--if-match', '1'], env),
    run(['backend', 'delete', 'v1'], env),
  ]);
  expectCode(unreachable, 3);
  assert.match(unreachable.stderr, /^junction: cannot reach the admin API at http:\/\/127\.0\.0\.1:9: /);
  expectCode(badToken, 4);
  expectCode(noToken, 4);
  expectCode(getMissing, 5);
  expectCode(delMissing, 5);
  expectCode(stale, 6);
  expectCode(inUse, 6);
  assert.match(inUse.stderr, /routes\/api/);
});

test('status: human summary and --json', async () => {
  const s = await run(['status'], env);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^instance {2}test-\d+ \(junction \d+\.\d+\.\d+/m);
  assert.match(s.stdout, /^store {5}embedded, connected$/m);
  const js = JSON.parse((await run(['status', '--json'], env)).stdout);
  assert.equal(js.ready, true);
});

test('canary rewrites the split with If-Match on what it read', async () => {
  const set = await run(['canary', 'api', 'v1=90', 'v2=10'], env);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /routes\/api split v1=90 v2=10/);
  const doc = await stored('routes/api');
  assert.deepEqual(doc.split, [{ backend: 'v1', weight: 90 }, { backend: 'v2', weight: 10 }]);
  assert.equal(doc.backend, undefined);
  assert.deepEqual(doc.match, { host: 'api.example.com', pathPrefix: '/v1/' }, 'the rest of the route is kept');
  expectCode(await run(['canary', 'api', 'v1=50', 'v2=50'], env), 0);
  assert.deepEqual((await stored('routes/api')).split.map((s: { weight: number }) => s.weight), [50, 50]);
  const show = await run(['canary', 'api'], env);
  assert.match(show.stdout, /^v1\s+50\s+50\.0%/m);
  const unknown = await run(['canary', 'api', 'v1=50', 'v9=50'], env);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /split\[1\]\.backend: names backend v9/);
  expectCode(await run(['canary', 'nope', 'v1=1'], env), 5);
});

test('status and canary say what a guard counts: errors (5xx) in requests, the window and the limits', async () => {
  const failing = await startUpstream('cli-500', (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('boom');
  });
  try {
    await j.put('backends/g-ok', { servers: [{ id: 'a', url: up.url }] });
    await j.put('backends/g-bad', { servers: [{ id: 'a', url: failing.url }] });
    const rev = await j.put('routes/guarded', {
      match: { host: 'guarded.example' },
      split: [{ backend: 'g-ok', weight: 1 }, { backend: 'g-bad', weight: 1 }],
      guard: { maxErrorRate: 0.5, minRequests: 100, windowMs: 30000 },
    });
    await j.applied(rev);
    // smooth round-robin over equal weights alternates: two requests each
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(`${j.url}/x`, { headers: { host: 'guarded.example' } })).status);
    assert.deepEqual([...statuses].sort(), [200, 200, 500, 500]);

    const [status, canary] = await Promise.all([run(['status'], env), run(['canary', 'guarded'], env)]);
    expectCode(status, 0);
    const limits = '\\(trips above 50\\.0% with at least 100 requests\\)';
    assert.match(status.stdout, new RegExp(`^  guarded -> g-ok: ok: 0 errors \\(5xx\\) in 2 requests = 0\\.0% in the last 30 s ${limits}$`, 'm'));
    assert.match(status.stdout, new RegExp(`^  guarded -> g-bad: ok: 2 errors \\(5xx\\) in 2 requests = 100\\.0% in the last 30 s ${limits}$`, 'm'));
    expectCode(canary, 0);
    assert.match(canary.stdout, /^BACKEND\s+WEIGHT\s+SHARE\s+GUARD$/m);
    assert.match(canary.stdout, new RegExp(`^g-bad\\s+1\\s+50\\.0%\\s+ok: 2 errors \\(5xx\\) in 2 requests = 100\\.0% in the last 30 s ${limits}$`, 'm'));
  } finally {
    await j.del('routes/guarded');
    await Promise.all([j.del('backends/g-ok'), j.del('backends/g-bad')]);
    await failing.close();
  }
});

test('tee adds, changes and removes the entry for one shadow backend', async () => {
  const add = await run(['tee', 'api', 'v2', '--percent', '10'], env);
  assert.equal(add.code, 0, add.stderr);
  assert.deepEqual((await stored('routes/api')).tee, [{ backend: 'v2', percent: 10 }]);
  expectCode(await run(['tee', 'api', 'v2', '--percent', '25', '--compare'], env), 0);
  assert.deepEqual((await stored('routes/api')).tee, [{ backend: 'v2', percent: 25, compare: true }]);
  const show = await run(['tee', 'api'], env);
  assert.equal(show.code, 0);
  assert.match(show.stdout, /^v2\s+25%/m);
  expectCode(await run(['tee', 'api', 'v2', '--off'], env), 0);
  assert.equal((await stored('routes/api')).tee, undefined);
  expectCode(await run(['tee', 'api', 'v2', '--off'], env), 5);
});

test('server: list, drain/disable/enable an inline server, create/update/delete a keyed one', async () => {
  const list = await run(['server', 'v1', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^a\s+http:\/\/127\.0\.0\.1:\d+\s+1\s+active\s+inline/m);
  expectCode(await run(['server', 'v1', 'a', '--drain'], env), 0);
  assert.equal((await stored('backends/v1')).servers[0].state, 'draining');
  expectCode(await run(['server', 'v1', 'a', '--disable'], env), 0);
  assert.equal((await stored('backends/v1')).servers[0].state, 'disabled');
  expectCode(await run(['server', 'v1', 'a', '--enable'], env), 0);
  assert.equal((await stored('backends/v1')).servers[0].state, 'active');

  const create = await run(['server', 'v1', 'k1', '--url', up.url, '--weight', '3'], env);
  assert.equal(create.code, 0, create.stderr);
  assert.deepEqual(await stored('servers/v1/k1'), { url: up.url, weight: 3 });
  expectCode(await run(['server', 'v1', 'k1', '--drain'], env), 0);
  assert.deepEqual(await stored('servers/v1/k1'), { url: up.url, weight: 3, state: 'draining' });
  const one = JSON.parse((await run(['server', 'v1', 'k1'], env)).stdout);
  assert.equal(one.state, 'draining');
  expectCode(await run(['server', 'v1', 'k1', '--delete'], env), 0);
  assert.equal(await stored('servers/v1/k1'), undefined);
  expectCode(await run(['server', 'v1', 'zz', '--drain'], env), 5);
  expectCode(await run(['server', 'v1', 'a', '--drain', '--delete'], env), 2);
});
