import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream } from '../support/upstream.js';

let open: TestJunction;
let locked: TestJunction;

before(async () => {
  open = await startTestJunction();
  locked = await startTestJunction({ adminToken: 'let-me-in' });
});

after(async () => {
  await open?.stop();
  await locked?.stop();
});

async function call(url: string, headers: Record<string, string> = {}) {
  const r = await request(url, { headers });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, text };
}

test('healthz, readyz and metrics answer without a token', async () => {
  for (const j of [open, locked]) {
    assert.equal((await call(`${j.adminUrl}/healthz`)).status, 200);
    assert.equal((await call(`${j.adminUrl}/readyz`)).status, 200);
    const m = await call(`${j.adminUrl}/metrics`);
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /text\/plain/);
    for (const name of [
      'junction_config_revision',
      'junction_config_reloads_total',
      'junction_config_errors',
      'junction_config_staleness_seconds',
      'junction_http_requests_total',
      'junction_http_request_duration_seconds',
      'junction_upstream_errors_total',
    ]) {
      assert.match(m.text, new RegExp(`# TYPE ${name} `), name);
    }
  }
});

test('GET /api/v1/status reports instance, version, revision, store and errors', async () => {
  const rev = await open.put('routes/bad', '{oops');
  await open.applied(rev);
  const s = JSON.parse((await call(`${open.adminUrl}/api/v1/status`)).text);
  assert.equal(s.instance, `test-${process.pid}`);
  assert.match(s.version, /^\d+\.\d+\.\d+/);
  assert.equal(s.revision, rev);
  assert.equal(s.ready, true);
  assert.equal(s.store.kind, 'embedded');
  assert.equal(s.store.connected, true);
  assert.equal(s.store.stalenessSeconds, 0);
  assert.deepEqual(
    s.errors.map((e: { key: string; code: string }) => [e.key, e.code]),
    [['/junction/routes/bad', 'invalid_json']],
  );
});

test('GET /api/v1/status lists a draining server with its state, as the servers list does; disabled ones are left out', async () => {
  const up = await startUpstream('status-servers');
  const json = async (method: string, path: string, body?: unknown) => {
    const r = await request(`${open.adminUrl}${path}`, {
      method: method as 'GET',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.body.text();
    assert.ok(r.statusCode < 300, `${method} ${path}: ${r.statusCode} ${text}`);
    return JSON.parse(text);
  };
  type Row = { backend: string; server: string; url: string; state: string; healthy: boolean | null; breaker: string | null };
  const poolRows = async () => ((await json('GET', '/api/v1/status')).servers as Row[]).filter((r) => r.backend === 'pool');
  try {
    await json('PUT', '/api/v1/backends/pool', { servers: [{ id: 'a', url: up.url }, { id: 'off', url: up.url, state: 'disabled' }] });
    await json('PUT', '/api/v1/backends/pool/servers/k', { url: up.url });
    const { modRevision } = await json('PUT', '/api/v1/routes/pool', { match: { host: 'pool.example' }, backend: 'pool' });
    await open.applied(modRevision);
    assert.deepEqual(
      (await poolRows()).map((r) => [r.server, r.state, r.healthy, r.breaker]),
      [['a', 'active', true, 'closed'], ['k', 'active', true, 'closed']],
    );

    const drained = await json('PUT', '/api/v1/backends/pool/servers/k', { url: up.url, state: 'draining' });
    await open.applied(drained.modRevision);
    const rows = await poolRows();
    assert.deepEqual(
      rows.map((r) => [r.server, r.url, r.state, r.healthy, r.breaker]),
      [['a', up.url, 'active', true, 'closed'], ['k', up.url, 'draining', null, null]],
    );
    // the same servers, in the same states, as GET .../servers (what `junction server pool list` reads)
    const effective = (await json('GET', '/api/v1/backends/pool/servers')).effective as Array<{ id: string; state: string }>;
    assert.deepEqual(
      effective.filter((s) => s.state !== 'disabled').map((s) => [s.id, s.state]),
      rows.map((r) => [r.server, r.state]),
    );
  } finally {
    await json('DELETE', '/api/v1/routes/pool');
    await json('DELETE', '/api/v1/backends/pool/servers/k');
    await json('DELETE', '/api/v1/backends/pool');
    await up.close();
  }
});

test('with a token, /api/ needs "Authorization: Bearer <token>"', async () => {
  const none = await call(`${locked.adminUrl}/api/v1/status`);
  assert.equal(none.status, 401);
  assert.equal(JSON.parse(none.text).error, 'unauthorized');
  assert.equal((await call(`${locked.adminUrl}/api/v1/status`, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await call(`${locked.adminUrl}/api/v1/status`, { authorization: 'Bearer let-me-in' })).status, 200);
});

test('unknown endpoints are 404 and wrong methods 405, both as JSON', async () => {
  const nf = await call(`${open.adminUrl}/api/v1/nope`);
  assert.equal(nf.status, 404);
  assert.equal(JSON.parse(nf.text).error, 'not_found');
  const r = await request(`${open.adminUrl}/healthz`, { method: 'DELETE' });
  assert.equal(r.statusCode, 405);
  assert.equal(r.headers.allow, 'GET');
  await r.body.dump();
});
