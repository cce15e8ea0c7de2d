import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

// The filter engine with user modules in a real --filters-dir, hot-reloaded while Junction runs.
let j: TestJunction;
let up: TestUpstream;
let dir: string;
const closed = ((globalThis as Record<string, unknown>).__junctionTestClosed = [] as string[]);

/** A module that tags the request and response with its name, so order is visible. */
function tagger(type: string, extra = ''): string {
  return `export default {
  type: '${type}',
  schema: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'], additionalProperties: false },
  create(config) {
    return {
      onRequest(ex) {
        ex.headers['x-order'] = ex.headers['x-order'] ? ex.headers['x-order'] + ',' + config.tag : config.tag;
        ${extra}
      },
      onResponse(ex, res) {
        res.headers['x-order'] = res.headers['x-order'] ? res.headers['x-order'] + ',' + config.tag : config.tag;
      },
      close() { globalThis.__junctionTestClosed.push('${type}:' + config.tag); },
    };
  },
};
`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'junction-filters-'));
  writeFileSync(join(dir, 'tag.js'), tagger('tag'));
  writeFileSync(join(dir, 'gate.js'), tagger('gate', "if (ex.headers['x-stop']) return { status: 418, headers: { 'x-gate': 'closed' }, body: { stopped: true } };"));
  writeFileSync(
    join(dir, 'trouble.js'),
    `export default { type: 'trouble', create() { return {
      onRequest(ex) {
        if (ex.headers['x-boom']) throw new Error('boom');
        if (ex.headers['x-reject']) return Promise.reject(new Error('rejected'));
        if (ex.headers['x-hang']) return new Promise(() => {});
        if (ex.headers['x-later']) return new Promise((r) => setTimeout(r, 20));
      } }; } };`,
  );
  writeFileSync(join(dir, 'version.js'), versionModule(1));
  writeFileSync(join(dir, 'broken-from-start.js'), 'export default { type: "never", create( {');
  up = await startUpstream('up', (req, res) => {
    res.setHeader('x-order', 'upstream');
    res.end(JSON.stringify({ order: req.headers['x-order'], version: req.headers['x-version'] ?? null }));
  });
  j = await startTestJunction({ filtersDir: dir, filterBudgetMs: 300 });
  await j.put('backends/up', { servers: [{ id: 'u', url: up.url }] });
  await j.put('filters/a', { type: 'tag', config: { tag: 'a' } });
  await j.put('filters/b', { type: 'gate', config: { tag: 'b' } });
  await j.put('filters/c', { type: 'tag', config: { tag: 'c' } });
  await j.put('filters/t', { type: 'trouble' });
  await j.put('filters/v', { type: 'version' });
  await j.put('filters/lim1', { type: 'rate-limit', config: { rps: 0.001, burst: 1 } });
  await j.put('filters/lim5', { type: 'rate-limit', config: { rps: 0.001, burst: 5 } });
  await j.put('routes/chain', { match: { pathPrefix: '/chain' }, backend: 'up', filters: ['a', 'b', 'c'] });
  await j.put('routes/trouble', { match: { pathPrefix: '/trouble' }, backend: 'up', filters: ['t'] });
  await j.put('routes/version', { match: { pathPrefix: '/version' }, backend: 'up', filters: ['v'] });
  await j.put('routes/one', { match: { pathPrefix: '/one' }, backend: 'up', filters: ['lim1'] });
  await j.applied(await j.put('routes/five', { match: { pathPrefix: '/five' }, backend: 'up', filters: ['lim5'] }));
});

after(async () => {
  await j?.stop();
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

function versionModule(n: number): string {
  return `export default { type: 'version', create() { return {
    onRequest(ex) { ex.headers['x-version'] = '${n}'; },
    close() { globalThis.__junctionTestClosed.push('version:${n}'); },
  }; } };`;
}

test('request filters run in order, response filters in reverse', async () => {
  const r = await get(`${j.url}/chain`);
  assert.equal(r.json().order, 'a,b,c');
  assert.equal(r.headers['x-order'], 'upstream,c,b,a');
});

test('a local reply skips the upstream; the response filters of the filters that ran still run', async () => {
  const seen = up.seen.length;
  const r = await get(`${j.url}/chain`, { headers: { 'x-stop': '1' } });
  assert.equal(r.status, 418);
  assert.deepEqual(r.json(), { stopped: true });
  assert.equal(r.headers['x-gate'], 'closed');
  assert.equal(r.headers['x-order'], 'b,a', 'b answered: b and a ran their onResponse, c never ran');
  assert.equal(up.seen.length, seen);
});

test('a filter that throws, rejects or overruns fails only its request (500 / 504), counted by filter id', async () => {
  const boom = await get(`${j.url}/trouble`, { headers: { 'x-boom': '1' } });
  assert.equal(boom.status, 500);
  assert.equal(boom.json().error, 'filter_error');
  const rejected = await get(`${j.url}/trouble`, { headers: { 'x-reject': '1' } });
  assert.equal(rejected.status, 500);
  const t0 = Date.now();
  const hang = await get(`${j.url}/trouble`, { headers: { 'x-hang': '1' } });
  assert.equal(hang.status, 504);
  assert.equal(hang.json().error, 'filter_timeout');
  assert.ok(Date.now() - t0 < 2000);
  assert.equal((await get(`${j.url}/trouble`, { headers: { 'x-later': '1' } })).status, 200, 'an async filter within budget is fine');
  assert.equal((await get(`${j.url}/trouble`)).status, 200, 'other requests are unaffected');
  const m = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(m, /junction_filter_errors_total\{filter="t"\} 3/);
});

test('two routes with different configs of the same filter type do not share state', async () => {
  assert.equal((await get(`${j.url}/one`)).status, 200);
  assert.equal((await get(`${j.url}/one`)).status, 429);
  const five = [];
  for (let i = 0; i < 5; i++) five.push((await get(`${j.url}/five`)).status);
  assert.deepEqual(five, [200, 200, 200, 200, 200]);
  // an unrelated configuration change does not reset a limiter's buckets
  await j.applied(await j.put('routes/unrelated', { match: { path: '/unrelated' }, backend: 'up' }));
  assert.equal((await get(`${j.url}/one`)).status, 429);
});

test('a module that fails to load is reported by file, and its type is not offered', async () => {
  const st = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as { errors: Array<{ key: string; code: string; message: string }> };
  const e = st.errors.find((x) => x.key.endsWith('broken-from-start.js'));
  assert.equal(e?.code, 'filter_module');
  assert.match(e?.message ?? '', /failed to import/);
});

test('hot reload: an edited module serves its new version without a restart; the old instance is closed', async () => {
  assert.equal((await get(`${j.url}/version`)).json().version, '1');
  writeFileSync(join(dir, 'version.js'), versionModule(2));
  await waitFor('version 2', async () => (await get(`${j.url}/version`)).json().version === '2', 10_000, 50);
  await waitFor('the old instance closed', () => closed.includes('version:1'), 10_000, 50);
});

test('a broken edit keeps the last good version serving and reports the file', async () => {
  writeFileSync(join(dir, 'version.js'), 'export default { type: "version", create() { return { onRequest(ex) { ex.headers[ }; } };');
  const err = await waitFor('the error in the status', async () => {
    const st = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as { errors: Array<{ key: string; message: string }> };
    return st.errors.find((x) => x.key.endsWith('version.js'));
  });
  assert.match(err.message, /failed to import/);
  for (let i = 0; i < 5; i++) assert.equal((await get(`${j.url}/version`)).json().version, '2');
  writeFileSync(join(dir, 'version.js'), versionModule(3));
  await waitFor('version 3', async () => (await get(`${j.url}/version`)).json().version === '3', 10_000, 50);
});

test('a deleted module stops being offered; routes that used it keep their last chain and report it', async () => {
  unlinkSync(join(dir, 'version.js'));
  await waitFor('the filter reported', () => j.snapshot()?.issues.some((i) => i.key === '/junction/filters/v' && i.field === 'type'), 10_000, 50);
  assert.equal((await get(`${j.url}/version`)).json().version, '3', 'the route keeps its last chain');
  // a new filter of the deleted type is rejected
  await j.applied(await j.put('filters/v2', { type: 'version' }));
  assert.ok(j.snapshot()?.issues.some((i) => i.key === '/junction/filters/v2' && i.field === 'type'));
  assert.equal(j.snapshot()?.filters.has('v2'), false);
});
