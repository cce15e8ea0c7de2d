import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'undici';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';

// Every built-in through a real proxied request.
const { hashPassword } = (await import(new URL('../../../filters/basic-auth.js', import.meta.url).href)) as {
  hashPassword: (password: string) => string;
};
let j: TestJunction;
let up: TestUpstream;

before(async () => {
  up = await startUpstream('up', (req, res, body) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('server', 'upstream/1.0');
    res.end(JSON.stringify({ url: req.url, headers: req.headers, bodyLength: body.length }));
  });
  j = await startTestJunction();
  await j.applied(await j.put('backends/up', { servers: [{ id: 'u', url: up.url }] }));
});

after(async () => {
  await j?.stop();
  await up?.close();
});

/** One route `r` on `/` with these filters (ids f0, f1, ...). */
async function withFilters(...specs: Array<{ type: string; config?: unknown }>): Promise<void> {
  let rev = 0;
  for (const [i, spec] of specs.entries()) rev = await j.put(`filters/f${i}`, spec);
  rev = await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'up', filters: specs.map((_, i) => `f${i}`) });
  await j.applied(rev);
  const s = j.snapshot();
  assert.deepEqual(s?.issues, [], JSON.stringify(s?.issues));
}

test('strip-prefix and rewrite-path change the path the upstream sees (query kept)', async () => {
  await withFilters({ type: 'strip-prefix', config: { prefix: '/api/v1' } });
  assert.equal((await get(`${j.url}/api/v1/users?x=1`)).json().url, '/users?x=1');
  assert.equal((await get(`${j.url}/api/v1`)).json().url, '/');
  assert.equal((await get(`${j.url}/api/v10/users`)).json().url, '/api/v10/users', 'only whole segments');
  await withFilters({ type: 'rewrite-path', config: { pattern: '^/old/(.*)$', replacement: '/new/$1' } });
  assert.equal((await get(`${j.url}/old/a/b?q`)).json().url, '/new/a/b?q');
  assert.equal((await get(`${j.url}/other`)).json().url, '/other');
});

test('headers sets, adds and removes request and response headers', async () => {
  await withFilters({
    type: 'headers',
    config: {
      request: { set: { 'X-Env': 'prod' }, add: { 'x-tag': 'b' }, remove: ['x-debug'] },
      response: { set: { 'cache-control': 'no-store' }, remove: ['server'], add: { 'x-served-by': 'junction' } },
    },
  });
  const r = await get(`${j.url}/h`, { headers: { 'x-debug': '1', 'x-tag': 'a' } });
  const h = r.json().headers;
  assert.equal(h['x-env'], 'prod');
  assert.equal(h['x-tag'], 'a, b');
  assert.equal(h['x-debug'], undefined);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(r.headers.server, undefined);
  assert.equal(r.headers['x-served-by'], 'junction');
});

test('rate-limit answers 429 with Retry-After past the burst, per client key', async () => {
  await withFilters({ type: 'rate-limit', config: { rps: 1, burst: 3, key: 'header:x-user' } });
  const codes = [];
  for (let i = 0; i < 5; i++) codes.push((await get(`${j.url}/r`, { headers: { 'x-user': 'ann' } })).status);
  assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  const limited = await get(`${j.url}/r`, { headers: { 'x-user': 'ann' } });
  assert.equal(limited.headers['retry-after'], '1');
  assert.equal(limited.json().error, 'rate_limited');
  assert.equal((await get(`${j.url}/r`, { headers: { 'x-user': 'bob' } })).status, 200, 'another key has its own bucket');
});

test('ip-filter allows and denies by CIDR, IPv4 and IPv6', async () => {
  await withFilters({ type: 'ip-filter', config: { allow: ['127.0.0.0/8', '::1/128'], deny: ['127.0.0.2'] } });
  assert.equal((await get(`${j.url}/ip`)).status, 200);
  await withFilters({ type: 'ip-filter', config: { deny: ['127.0.0.1/32'] } });
  const r = await get(`${j.url}/ip`);
  assert.equal(r.status, 403);
  assert.equal(r.json().error, 'forbidden');
  await withFilters({ type: 'ip-filter', config: { allow: ['10.0.0.0/8', '2001:db8::/32'] } });
  assert.equal((await get(`${j.url}/ip`)).status, 403, 'not in the allow list');
});

test('cors answers preflights locally and decorates responses for allowed origins', async () => {
  await withFilters({ type: 'cors', config: { allowOrigins: ['https://app.example'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'], maxAgeSeconds: 60 } });
  const seen = up.seen.length;
  const pre = await get(`${j.url}/c`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, PUT');
  assert.equal(pre.headers['access-control-max-age'], '60');
  assert.equal(up.seen.length, seen, 'the preflight never reached the upstream');
  const bad = await get(`${j.url}/c`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' } });
  assert.equal(bad.status, 403);
  const real = await get(`${j.url}/c`, { headers: { origin: 'https://app.example' } });
  assert.equal(real.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal((await get(`${j.url}/c`, { headers: { origin: 'https://evil.example' } })).headers['access-control-allow-origin'], undefined);
});

test('max-body answers 413 for a large Content-Length, and cuts a chunked body at the limit', async () => {
  await withFilters({ type: 'max-body', config: { bytes: 1000 } });
  assert.equal((await get(`${j.url}/m`, { method: 'POST', body: Buffer.alloc(500) })).json().bodyLength, 500);
  const seen = up.seen.length;
  const big = await get(`${j.url}/m`, { method: 'POST', body: Buffer.alloc(5000) });
  assert.equal(big.status, 413);
  assert.equal(big.json().error, 'body_too_large');
  assert.equal(up.seen.length, seen);
  // chunked, 3 x 600 bytes: cut off after the second chunk
  const raw = await new Promise<string>((resolve) => {
    const s = connect(j.proxyAddress.port, '127.0.0.1', () => {
      s.write('POST /m HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = `258\r\n${'z'.repeat(600)}\r\n`;
      s.write(chunk);
      setTimeout(() => s.write(chunk), 50);
      setTimeout(() => s.writable && s.write(chunk + '0\r\n\r\n'), 100);
    });
    let out = '';
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.setTimeout(5000, () => s.destroy());
  });
  assert.match(raw, /^HTTP\/1\.1 413/);
  assert.match(raw, /"error":"body_too_large"/);
});

test('basic-auth checks scrypt hashes, strips the credentials and names the user upstream', async () => {
  await withFilters({ type: 'basic-auth', config: { users: { alice: hashPassword('wonderland') }, realm: 'shop' } });
  const none = await get(`${j.url}/a`);
  assert.equal(none.status, 401);
  assert.equal(none.headers['www-authenticate'], 'Basic realm="shop", charset="UTF-8"');
  const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
  assert.equal((await get(`${j.url}/a`, { headers: auth('alice', 'nope') })).status, 401);
  assert.equal((await get(`${j.url}/a`, { headers: auth('mallory', 'wonderland') })).status, 401);
  for (let i = 0; i < 2; i++) {
    const ok = await get(`${j.url}/a`, { headers: auth('alice', 'wonderland') });
    assert.equal(ok.status, 200);
    assert.equal(ok.json().headers['x-junction-user'], 'alice');
    assert.equal(ok.json().headers.authorization, undefined);
  }
  const stored = JSON.stringify((await j.store.get('/junction/filters/f0'))?.value);
  assert.doesNotMatch(stored, /wonderland/, 'no plaintext password in the store');
});

test('fault aborts and delays the share of requests it is told to', async () => {
  await withFilters({ type: 'fault', config: { abortPercent: 100, abortStatus: 503 } });
  const r = await get(`${j.url}/f`);
  assert.equal(r.status, 503);
  assert.equal(r.headers['x-junction-fault'], 'abort');
  await withFilters({ type: 'fault', config: { abortPercent: 0, delayPercent: 100, delayMs: 300 } });
  const t0 = Date.now();
  assert.equal((await get(`${j.url}/f`)).status, 200);
  assert.ok(Date.now() - t0 >= 290, 'delayed');
  await withFilters({ type: 'fault', config: { abortPercent: 30 } });
  let aborted = 0;
  for (let i = 0; i < 300; i++) if ((await get(`${j.url}/f`)).status === 503) aborted++;
  // binomial(300, 0.3): mean 90, sd ~7.9; 5 sd either side
  assert.ok(aborted > 50 && aborted < 130, `~30% aborted, got ${aborted}`);
});

test('a filter config its module rejects is reported by key and field, and the route keeps its last good chain', async () => {
  await withFilters({ type: 'rate-limit', config: { rps: 100 } });
  const rev = await j.put('filters/f0', { type: 'rate-limit', config: { rps: -1 } });
  await j.applied(rev);
  const issue = j.snapshot()?.issues.find((i) => i.key === '/junction/filters/f0');
  assert.equal(issue?.field, 'config.rps');
  assert.equal((await get(`${j.url}/still`)).status, 200);
  const st = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as { errors: Array<{ key: string; field?: string }> };
  assert.ok(st.errors.some((e) => e.key === '/junction/filters/f0' && e.field === 'config.rps'));
});

test('https-redirect sends plain-HTTP requests to https:// (ACME challenges excepted) with the path and query', async () => {
  await withFilters({ type: 'https-redirect', config: {} });
  const r = await get(`${j.url}/shop/cart?x=1`, { headers: { host: 'shop.example:8080' } });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, 'https://shop.example/shop/cart?x=1');
  const acme = await get(`${j.url}/.well-known/acme-challenge/tok`, { headers: { host: 'shop.example' } });
  assert.equal(acme.status, 200, 'challenges stay on plain HTTP');
  await withFilters({ type: 'https-redirect', config: { status: 301, port: 8443 } });
  const v6 = await get(`${j.url}/a`, { headers: { host: '[2001:db8::1]:80' } });
  assert.equal(v6.status, 301);
  assert.equal(v6.headers.location, 'https://[2001:db8::1]:8443/a');
});
