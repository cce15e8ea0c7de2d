import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestJunction, type TestJunction } from '../support/junction.js';

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
