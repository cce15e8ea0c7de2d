/**
 * With a token, every /api/ endpoint (REST, transactions, the events socket) answers 401 without
 * it or with a wrong one; the socket also takes the token as the subprotocol `bearer.<token>`.
 * The dashboard's static files need no token. Without a token, `serve` refuses a non-loopback
 * admin address (test/cli/serve-flags.test.ts covers the flag; here the running process).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { run } from '../cli/cli-process.js';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { api } from './api-support.js';

const TOKEN = 'correct-horse-battery';
let j: TestJunction;

before(async () => {
  j = await startTestJunction({ adminToken: TOKEN });
});
after(async () => {
  await j?.stop();
});

const calls: Array<[string, string, unknown?]> = [
  ['GET', '/api/v1/routes'],
  ['GET', '/api/v1/routes/a'],
  ['PUT', '/api/v1/routes/a', { backend: 'x' }],
  ['DELETE', '/api/v1/routes/a'],
  ['GET', '/api/v1/backends/b/servers'],
  ['PUT', '/api/v1/backends/b/servers/s', { url: 'http://127.0.0.1:1' }],
  ['POST', '/api/v1/tx', { ops: [] }],
  ['GET', '/api/v1/topology'],
  ['GET', '/api/v1/events'],
];

test('every REST endpoint answers 401 without the token or with a wrong one', async () => {
  for (const [method, path, body] of calls) {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }] as Array<Record<string, string>>) {
      const r = await api(j.adminUrl, method, path, body, headers);
      assert.equal(r.status, 401, `${method} ${path} ${JSON.stringify(headers)}`);
      assert.equal(r.body.error, 'unauthorized');
      assert.match(String(r.headers['www-authenticate']), /^Bearer/);
    }
    const ok = await api(j.adminUrl, method, path, body, { authorization: `Bearer ${TOKEN}` });
    assert.notEqual(ok.status, 401, `${method} ${path} with the token`);
  }
  assert.equal(await j.store.get('/junction/routes/a'), undefined, 'no unauthorized write landed');
});

test('the dashboard page and its assets are served without the token', async () => {
  const page = await api(j.adminUrl, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(page.text, /<title>Junction<\/title>/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  for (const asset of ['app.js', 'api.js', 'render.js', 'live.js', 'dom.js', 'style.css']) {
    const r = await api(j.adminUrl, 'GET', `/dashboard/${asset}`);
    assert.equal(r.status, 200, asset);
  }
  assert.equal((await api(j.adminUrl, 'GET', '/dashboard/..%2Fpackage.json')).status, 404);
  assert.equal((await api(j.adminUrl, 'GET', '/dashboard/nope.js')).status, 404);
});

/** Opens the events socket; resolves with the first message, or rejects with the HTTP status of a refusal. */
function connect(opts: { headers?: Record<string, string>; protocols?: string[] }): Promise<{ ws: WebSocket; hello: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${j.adminAddress.port}/api/v1/events`, opts.protocols ?? [], { headers: opts.headers });
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }));
      ws.terminate();
    });
    ws.once('error', reject);
    ws.once('message', (data) => resolve({ ws, hello: JSON.parse(String(data)) }));
  });
}

test('the events socket: 401 without the token, with a wrong one, or a wrong subprotocol', async () => {
  for (const opts of [{}, { headers: { authorization: 'Bearer nope' } }, { protocols: ['junction.v1', 'bearer.nope'] }, { protocols: ['junction.v1'] }]) {
    await assert.rejects(connect(opts), (err: { status?: number }) => err.status === 401, JSON.stringify(opts));
  }
});

test('the events socket accepts the token as a header or as the subprotocol bearer.<token>', async () => {
  const a = await connect({ headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(a.hello.type, 'hello');
  a.ws.close();
  const b = await connect({ protocols: ['junction.v1', `bearer.${TOKEN}`] });
  assert.equal(b.hello.type, 'hello');
  assert.equal(b.ws.protocol, 'junction.v1', 'the named protocol is selected, the token is not echoed');
  b.ws.close();
  // a browser offering only the token subprotocol must get one back, or it fails the handshake
  const c = await connect({ protocols: [`bearer.${TOKEN}`] });
  assert.equal(c.ws.protocol, `bearer.${TOKEN}`);
  c.ws.close();
});

test('without a token, serve refuses a non-loopback admin address with one clear line', async () => {
  const r = await run(['serve', '--admin', '0.0.0.0:0', '--listen', '127.0.0.1:0'], { JUNCTION_ADMIN_TOKEN: '' });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not a loopback address: set --admin-token/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('an empty --admin-token is no token: refused on a non-loopback admin address like no token at all', async () => {
  // it used to pass the guard and then serve /api/ with no token on 0.0.0.0
  for (const flags of [['--admin-token='], ['--admin-token', '']]) {
    const r = await run(['serve', '--admin', '0.0.0.0:0', '--listen', '127.0.0.1:0', ...flags], { JUNCTION_ADMIN_TOKEN: 'from-env' }, 10_000);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^junction: --admin 0\.0\.0\.0:0 is not a loopback address: set --admin-token/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
