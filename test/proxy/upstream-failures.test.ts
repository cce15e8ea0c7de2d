import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request } from 'undici';
import { freePort } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

let j: TestJunction;
let slow: TestUpstream;
let closedPort: number;
const aborted: string[] = [];

before(async () => {
  slow = await startUpstream('slow', (req, res) => {
    if (req.url === '/hang') {
      // named by the request's x-probe header, so a test waits for the close of its own request
      req.socket.on('close', () => aborted.push(String(req.headers['x-probe'] ?? req.url)));
      return; // never answers
    }
    if (req.url === '/half') {
      res.writeHead(200, { 'content-length': '100' });
      res.write('only part');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end('ok');
  });
  closedPort = await freePort();
  j = await startTestJunction();
  await j.put('backends/dead', { servers: [{ id: 'd1', url: `http://127.0.0.1:${closedPort}` }] });
  await j.put('backends/slow', { servers: [{ id: 's1', url: slow.url }], timeouts: { headersMs: 300 } });
  await j.put('backends/empty', { servers: [{ id: 'x', url: slow.url, state: 'disabled' }] });
  await j.put('routes/dead', { match: { pathPrefix: '/dead/' }, backend: 'dead' });
  await j.put('routes/empty', { match: { pathPrefix: '/empty/' }, backend: 'empty' });
  const rev = await j.put('routes/slow', { match: { pathPrefix: '/' }, backend: 'slow' });
  await j.applied(rev);
});

after(async () => {
  await j?.stop();
  await slow?.close();
});

test('a refused connection answers 502 upstream_error and counts a connect error', async () => {
  const r = await get(`${j.url}/dead/x`);
  assert.equal(r.status, 502);
  assert.equal(r.json().error, 'upstream_error');
  const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /junction_upstream_errors_total\{backend="dead",kind="connect"\} 1/);
  assert.match(metrics, /junction_http_requests_total\{route="dead",backend="dead",code="502"\} 1/);
});

test('a backend with no active server answers 503 no_server', async () => {
  const r = await get(`${j.url}/empty/x`);
  assert.equal(r.status, 503);
  assert.equal(r.json().error, 'no_server');
});

test('an upstream slower than headersMs answers 504 upstream_timeout', async () => {
  const started = Date.now();
  const r = await get(`${j.url}/hang`);
  assert.equal(r.status, 504);
  assert.equal(r.json().error, 'upstream_timeout');
  assert.ok(Date.now() - started < 5000);
});

test('an upstream dying mid-body cuts the client response instead of completing it', async () => {
  await assert.rejects(async () => {
    const r = await request(`${j.url}/half`);
    await r.body.text();
  });
});

test('a client that goes away aborts the upstream request', async () => {
  const rev = await j.put('backends/slow', { servers: [{ id: 's1', url: slow.url }], timeouts: { headersMs: 60_000 } });
  await j.applied(rev);
  const probe = 'client-gone';
  const arrived = () => slow.seen.some((r) => r.url === '/hang' && r.headers['x-probe'] === probe);
  const s = connect(j.proxyAddress.port, '127.0.0.1', () => s.write(`GET /hang HTTP/1.1\r\nHost: x\r\nX-Probe: ${probe}\r\n\r\n`));
  await waitFor('the upstream to receive the request', arrived, 5000, 5);
  assert.equal(aborted.includes(probe), false, 'the upstream request is open while the client is');
  s.destroy();
  await waitFor('the upstream connection to be closed', () => aborted.includes(probe), 5000);
  await waitFor('the 499 to be recorded', async () => {
    const m = await (await request(`${j.adminUrl}/metrics`)).body.text();
    return /junction_http_requests_total\{route="slow",backend="slow",code="499"\} 1/.test(m);
  });
});

test('malformed requests never reach the upstream: 400 for Content-Length with Transfer-Encoding, 431 for huge headers', async () => {
  const seen = slow.seen.length;
  const smuggle = await raw(
    j.proxyAddress.port,
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  );
  assert.match(smuggle, /^HTTP\/1\.1 400/);
  const huge = await raw(j.proxyAddress.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431/);
  assert.match(huge, /"error":"headers_too_large"/);
  assert.equal(slow.seen.length, seen);
});

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.setTimeout(5000, () => s.destroy());
  });
}
