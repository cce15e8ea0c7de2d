import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';

let j: TestJunction;
let a: TestUpstream;
let b: TestUpstream;

before(async () => {
  a = await startUpstream('a', (req, res, body) => {
    if (req.url === '/cookies') {
      res.writeHead(200, [
        'Set-Cookie', 'one=1',
        'Set-Cookie', 'two=2',
        'Connection', 'x-secret-hop',
        'X-Secret-Hop', 'drop me',
        'Keep-Alive', 'timeout=5',
        'X-Kept', 'yes',
      ]);
      return res.end('cookies');
    }
    if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return res.end(body);
    }
    if (req.url?.startsWith('/big')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 80; i++) res.write(chunk);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'a' });
    res.end(JSON.stringify({ upstream: 'a', url: req.url, headers: req.headers }));
  });
  b = await startUpstream('b');
  j = await startTestJunction();
  await j.put('backends/a', { servers: [{ id: 'a1', url: a.url }] });
  await j.put('backends/b', { servers: [{ id: 'b1', url: b.url }] });
  await j.put('routes/host-b', { match: { host: 'b.example.com' }, backend: 'b' });
  const rev = await j.put('routes/all', { match: { pathPrefix: '/' }, backend: 'a' });
  await j.applied(rev);
});

after(async () => {
  await j?.stop();
  await a?.close();
  await b?.close();
});

test('routes by host and forwards method, path and query', async () => {
  const r1 = await get(`${j.url}/x/y?q=1&r=2`);
  assert.equal(r1.status, 200);
  assert.equal(r1.json().upstream, 'a');
  assert.equal(r1.json().url, '/x/y?q=1&r=2');
  const r2 = await get(`${j.url}/z`, { headers: { host: 'b.example.com' } });
  assert.equal(r2.json().upstream, 'b');
  assert.equal(b.seen.at(-1)?.headers.host, 'b.example.com', 'the client Host header is passed through');
});

test('sets X-Forwarded-* (client values cannot spoof them) and keeps or generates x-request-id', async () => {
  const r = await get(`${j.url}/h`, {
    headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-request-id': 'req-123', host: 'shop.example' },
  });
  const h = r.json().headers as Record<string, string>;
  assert.equal(h['x-forwarded-for'], '127.0.0.1');
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-host'], 'shop.example');
  assert.equal(h['x-request-id'], 'req-123');
  assert.equal(r.headers['x-request-id'], 'req-123');

  const g = await get(`${j.url}/h`);
  const id = (g.json().headers as Record<string, string>)['x-request-id'];
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(g.headers['x-request-id'], id, 'the generated id is returned to the client too');
});

test('strips hop-by-hop and Connection-named headers in both directions', async () => {
  // undici refuses to send most hop-by-hop headers, so speak raw HTTP/1.1.
  const raw = await rawRequest(
    j.proxyAddress.port,
    'GET /h HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Connection: keep-alive\r\nX-Public: ok\r\n\r\n',
  );
  const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '')) as {
    headers: Record<string, string>;
  };
  for (const name of ['x-private', 'keep-alive', 'te', 'proxy-connection']) assert.equal(body.headers[name], undefined, name);
  assert.equal(body.headers['x-public'], 'ok');

  const r = await get(`${j.url}/cookies`);
  assert.deepEqual(r.headers['set-cookie'], ['one=1', 'two=2'], 'repeated set-cookie headers stay separate');
  assert.equal(r.headers['x-secret-hop'], undefined);
  assert.equal(r.headers['x-kept'], 'yes');
  assert.notEqual(r.headers['keep-alive'], 'timeout=5');
});

test('streams request and response bodies', async () => {
  const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 'z');
  const r = await request(`${j.url}/echo`, { method: 'POST', body: payload });
  const echoed = Buffer.from(await r.body.arrayBuffer());
  assert.equal(r.statusCode, 200);
  assert.equal(echoed.length, payload.length);
  assert.ok(echoed.equals(payload));

  const big = await request(`${j.url}/big`);
  const data = Buffer.from(await big.body.arrayBuffer());
  assert.equal(data.length, 80 * 64 * 1024);

  // chunked upload (no content-length)
  async function* chunks() {
    for (let i = 0; i < 20; i++) yield Buffer.alloc(10_000, i);
  }
  const c = await request(`${j.url}/echo`, { method: 'PUT', body: Readable.from(chunks()) });
  assert.equal(Buffer.from(await c.body.arrayBuffer()).length, 200_000);
});

test('answers 404 no_route as JSON when nothing matches', async () => {
  const rev = await j.put('routes/all', { match: { pathPrefix: '/only/' }, backend: 'a' });
  await j.applied(rev);
  try {
    const r = await get(`${j.url}/elsewhere`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.json(), { error: 'no_route', message: 'no route matches this request' });
    assert.match(String(r.headers['content-type']), /application\/json/);
  } finally {
    await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, backend: 'a' }));
  }
});

test('rejects a malformed path with 400 and normalizes dot segments before routing', async () => {
  const bad = await rawRequest(j.proxyAddress.port, 'GET /a/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(bad, /^HTTP\/1\.1 400/);
  assert.match(bad, /"error":"bad_request"/);
  const rev = await j.put('routes/private', { match: { pathPrefix: '/private/' }, backend: 'b', priority: 5 });
  await j.applied(rev);
  const r = await rawRequest(j.proxyAddress.port, 'GET /public/../private/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(r, /"upstream":"b"/);
  assert.equal(b.seen.at(-1)?.url, '/private/x', 'the upstream sees the normalized path the route matched');
  await j.applied(await j.del('routes/private'));
});

test('an absolute-form request target routes by its authority and forwards its path', async () => {
  const r = await rawRequest(j.proxyAddress.port, 'GET http://b.example.com/abs?x=1 HTTP/1.1\r\nHost: elsewhere\r\nConnection: close\r\n\r\n');
  assert.match(r, /^HTTP\/1\.1 200/);
  assert.match(r, /"upstream":"b"/);
  assert.equal(b.seen.at(-1)?.url, '/abs?x=1');
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
      if (/\r\n0\r\n\r\n$/.test(out) || /content-length: (\d+)\r\n/i.test(out) && bodyComplete(out)) s.end();
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error(`raw request timed out; got ${out}`));
    });
  });
}

function bodyComplete(out: string): boolean {
  const m = /content-length: (\d+)\r\n/i.exec(out);
  const i = out.indexOf('\r\n\r\n');
  return m !== null && i !== -1 && Buffer.byteLength(out.slice(i + 4), 'latin1') >= Number(m[1]);
}
