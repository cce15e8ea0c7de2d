/**
 * The REST API's CRUD, run identically against the embedded store and a real etcd: documents with
 * ETags, If-Match, dry runs, deletes and their reference rule, servers, filters — and every write
 * reaching the proxy only through the store's watch.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { api, onBothStores, unquote } from './api-support.js';

onBothStores('REST CRUD', (j, kind) => {
  let up: TestUpstream;
  before(async () => {
    up = await startUpstream(`crud-${kind}`);
  });
  after(async () => {
    await up.close();
  });
  const backend = () => ({ servers: [{ id: 's1', url: up.url }] });

  test('PUT creates with 201 and an ETag; GET answers the document with the same ETag; the list has it', async () => {
    const put = await api(j().adminUrl, 'PUT', '/api/v1/backends/app', backend());
    assert.equal(put.status, 201, put.text);
    assert.equal(put.body.created, true);
    assert.equal(put.body.key, 'backends/app');
    const rev = unquote(put.headers.etag);
    assert.equal(put.body.modRevision, rev);
    assert.equal(put.headers.location, '/api/v1/backends/app');

    const got = await api(j().adminUrl, 'GET', '/api/v1/backends/app');
    assert.equal(got.status, 200);
    assert.equal(got.headers.etag, `"${rev}"`);
    assert.deepEqual(got.body, backend());
    // the store holds exactly that document
    assert.deepEqual(JSON.parse((await j().store.get('/junction/backends/app'))?.value ?? 'null'), backend());

    const again = await api(j().adminUrl, 'PUT', '/api/v1/backends/app', { ...backend(), balancer: 'least-request' });
    assert.equal(again.status, 200);
    assert.equal(again.body.created, false);
    assert.ok(unquote(again.headers.etag) > rev);

    const list = await api(j().adminUrl, 'GET', '/api/v1/backends');
    assert.equal(list.status, 200);
    assert.equal(list.body.items.app.modRevision, unquote(again.headers.etag));
    assert.equal(list.body.items.app.value.balancer, 'least-request');
    assert.ok(list.body.revision >= unquote(again.headers.etag));
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/backends/none')).status, 404);
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/backends/none')).body.error, 'not_found');
  });

  test('a REST write reaches the proxy only through the watch, and serves', async () => {
    await api(j().adminUrl, 'PUT', '/api/v1/backends/app', backend());
    const put = await api(j().adminUrl, 'PUT', '/api/v1/routes/app', { match: { pathPrefix: '/app/' }, backend: 'app' });
    assert.equal(put.status, 201, put.text);
    const rev = unquote(put.headers.etag);
    await waitFor('the route in the applied snapshot', () => j().snapshot()?.routes.get('app')?.modRevision === rev);
    const status = await api(j().adminUrl, 'GET', '/api/v1/status');
    assert.ok(status.body.revision >= rev);
    const res = await get(`${j().url}/app/x`);
    assert.equal(res.status, 200);
    assert.equal(res.json().upstream, `crud-${kind}`);
  });

  test('If-Match: a stale revision is 412, the current one quoted or bare is accepted, a missing key is 412', async () => {
    const first = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', { match: { path: '/cas' }, backend: 'app' });
    const rev = unquote(first.headers.etag);
    const doc = { match: { path: '/cas2' }, backend: 'app' };

    const stale = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', doc, { 'if-match': `"${rev - 1}"` });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error, 'precondition_failed');
    assert.equal(stale.body.modRevision, rev);

    const quoted = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', doc, { 'if-match': `"${rev}"` });
    assert.equal(quoted.status, 200, quoted.text);
    const rev2 = unquote(quoted.headers.etag);
    const bare = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', { ...doc, priority: 3 }, { 'if-match': String(rev2) });
    assert.equal(bare.status, 200, bare.text);
    // the first writer's revision is stale now: nothing is overwritten
    const lost = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', { ...doc, priority: 9 }, { 'if-match': String(rev2) });
    assert.equal(lost.status, 412);
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/routes/cas')).body.priority, 3);

    const missing = await api(j().adminUrl, 'PUT', '/api/v1/routes/ghost', doc, { 'if-match': `"${rev}"` });
    assert.equal(missing.status, 412);
    assert.equal(missing.body.modRevision, null);
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/routes/ghost')).status, 404);
    // If-None-Match: * creates only
    const exists = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', doc, { 'if-none-match': '*' });
    assert.equal(exists.status, 412);
    const bad = await api(j().adminUrl, 'PUT', '/api/v1/routes/cas', doc, { 'if-match': 'yesterday' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'bad_request');
    // DELETE honours If-Match too
    assert.equal((await api(j().adminUrl, 'DELETE', '/api/v1/routes/cas', undefined, { 'if-match': String(rev) })).status, 412);
  });

  test('concurrent writers with the same If-Match: exactly one wins', async () => {
    const first = await api(j().adminUrl, 'PUT', '/api/v1/routes/race', { match: { path: '/race' }, backend: 'app' });
    const rev = first.headers.etag as string;
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((p) => api(j().adminUrl, 'PUT', '/api/v1/routes/race', { match: { path: '/race' }, backend: 'app', priority: p }, { 'if-match': rev })),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 412, 412, 412, 412]);
  });

  test('?dryRun=1 validates and answers what would be written, writing nothing', async () => {
    const appBefore = (await j().store.get('/junction/backends/app'))?.modRevision;
    const dry = await api(j().adminUrl, 'PUT', '/api/v1/routes/dry?dryRun=1', { match: { path: '/dry' }, backend: 'app' });
    assert.equal(dry.status, 200, dry.text);
    assert.deepEqual(dry.body.value, { match: { path: '/dry' }, backend: 'app' });
    assert.equal(dry.body.dryRun, true);
    assert.equal(dry.body.created, true);
    const invalid = await api(j().adminUrl, 'PUT', '/api/v1/routes/dry?dryRun=1', { match: { path: 'dry' }, backend: 'nope' });
    assert.equal(invalid.status, 400);
    assert.deepEqual(invalid.body.errors.map((e: { field: string }) => e.field).sort(), ['backend', 'match.path']);
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/routes/dry')).status, 404);
    const delDry = await api(j().adminUrl, 'DELETE', '/api/v1/backends/app?dryRun=1&force=1');
    assert.equal(delDry.status, 200);
    assert.equal(delDry.body.deleted, false);
    assert.equal((await j().store.get('/junction/backends/app'))?.modRevision, appBefore);
  });

  test('DELETE: 404 when missing; a backend routes use is 409 naming them; ?force=1 deletes with a warning', async () => {
    await api(j().adminUrl, 'PUT', '/api/v1/backends/old', backend());
    await api(j().adminUrl, 'PUT', '/api/v1/routes/uses-old', { match: { path: '/old' }, backend: 'old' });
    const missing = await api(j().adminUrl, 'DELETE', '/api/v1/routes/never-was');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');
    const refused = await api(j().adminUrl, 'DELETE', '/api/v1/backends/old');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error, 'in_use');
    assert.deepEqual(refused.body.routes, ['uses-old']);
    const forced = await api(j().adminUrl, 'DELETE', '/api/v1/backends/old?force=1');
    assert.equal(forced.status, 200);
    assert.match(forced.body.warning, /routes\/uses-old/);
    assert.equal(await j().store.get('/junction/backends/old'), undefined);
    const route = await api(j().adminUrl, 'DELETE', '/api/v1/routes/uses-old');
    assert.equal(route.status, 200);
    assert.equal(route.body.deleted, true);
    assert.equal(await j().store.get('/junction/routes/uses-old'), undefined);
  });

  test('servers: put, list (keys, inline, serving), get, delete; a server of a missing backend is 404', async () => {
    await api(j().adminUrl, 'PUT', '/api/v1/backends/pool', { servers: [{ id: 'inline-1', url: up.url }] });
    const put = await api(j().adminUrl, 'PUT', '/api/v1/backends/pool/servers/k1', { url: up.url, weight: 2, state: 'draining' });
    assert.equal(put.status, 201, put.text);
    assert.equal(put.headers.location, '/api/v1/backends/pool/servers/k1');
    const rev = unquote(put.headers.etag);
    await waitFor('the server key applied', () => (j().snapshot()?.revision ?? 0) >= rev);
    const list = await api(j().adminUrl, 'GET', '/api/v1/backends/pool/servers');
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.body.items), ['k1']);
    assert.equal(list.body.items.k1.value.state, 'draining');
    assert.deepEqual(list.body.inline.map((s: { id: string }) => s.id), ['inline-1']);
    assert.deepEqual(list.body.effective.map((s: { id: string; source: string }) => [s.id, s.source]), [['inline-1', 'inline'], ['k1', 'servers/pool/k1']]);
    const one = await api(j().adminUrl, 'GET', '/api/v1/backends/pool/servers/k1');
    assert.equal(one.headers.etag, `"${rev}"`);
    assert.equal(one.body.weight, 2);
    const bad = await api(j().adminUrl, 'PUT', '/api/v1/backends/pool/servers/k2', { url: 'ftp://x', weight: -1 });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), ['url', 'weight']);
    const orphan = await api(j().adminUrl, 'PUT', '/api/v1/backends/nobody/servers/k1', { url: up.url });
    assert.equal(orphan.status, 404);
    assert.match(orphan.body.message, /backend nobody does not exist/);
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/backends/nobody/servers')).status, 404);
    assert.equal((await api(j().adminUrl, 'DELETE', '/api/v1/backends/pool/servers/k1')).status, 200);
    assert.equal((await api(j().adminUrl, 'DELETE', '/api/v1/backends/pool/servers/k1')).status, 404);
  });

  test('filters: a loaded type with a valid config is stored; an unknown type or a bad config is refused on its field', async () => {
    const ok = await api(j().adminUrl, 'PUT', '/api/v1/filters/strip', { type: 'strip-prefix', config: { prefix: '/app' } });
    assert.equal(ok.status, 201, ok.text);
    const unknown = await api(j().adminUrl, 'PUT', '/api/v1/filters/f2', { type: 'no-such-filter', config: {} });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors.map((e: { field: string }) => e.field), ['type']);
    const badConfig = await api(j().adminUrl, 'PUT', '/api/v1/filters/f3', { type: 'strip-prefix', config: { prefix: 'no-slash' } });
    assert.equal(badConfig.status, 400);
    assert.deepEqual(badConfig.body.errors.map((e: { field: string }) => e.field), ['config.prefix']);
    const list = await api(j().adminUrl, 'GET', '/api/v1/filters');
    assert.deepEqual(Object.keys(list.body.items), ['strip']);
    const route = await api(j().adminUrl, 'PUT', '/api/v1/routes/filtered', { match: { pathPrefix: '/f/' }, backend: 'app', filters: ['strip'] });
    assert.equal(route.status, 201, route.text);
    const inUse = await api(j().adminUrl, 'DELETE', '/api/v1/filters/strip');
    assert.equal(inUse.status, 409);
    assert.deepEqual(inUse.body.routes, ['filtered']);
  });
});
