// Bad input, round two: each case sends the exact bytes of a probe and checks what the client and
// the upstream received. (docs/failure-modes.md has the same cases beside nginx and HAProxy.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { healthz, metric, rawExchange, responsesOf } from './helpers.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** An upstream that answers every request with an unsolicited `100 Continue`, then 200. */
function startContinueUpstream(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = createNetServer((c) => {
    c.on('data', (d: Buffer) => {
      if (!d.includes('\r\n\r\n')) return;
      n++;
      c.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    c.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => n,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

let cont: Awaited<ReturnType<typeof startContinueUpstream>>;
let j: TestJunction;
let up: TestUpstream;
let port: number;
const seen: Seen[] = [];

before(async () => {
  up = await startUpstream('up', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url, host: req.headers.host }));
  });
  up.server.on('request', (req) => seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers }));
  cont = await startContinueUpstream();
  j = await startTestJunction();
  port = j.proxyAddress.port;
  await j.put('backends/up', { servers: [{ id: 'u1', url: up.url }] });
  await j.put('backends/cont', { servers: [{ id: 'c1', url: cont.url }] });
  await j.put('routes/redos', { match: { pathRegex: '/(a+)+' }, backend: 'up' });
  await j.put('routes/continue', { match: { pathPrefix: '/continue/' }, backend: 'cont' });
  await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, priority: -1, backend: 'up' }));
});

after(async () => {
  await j?.stop();
  await up?.close();
  await cont?.close();
});

test('1. a backtracking pathRegex cannot freeze the process: /(a+)+ against 40 a and a !', async () => {
  const before = seen.length;
  const bytes = `GET /${'a'.repeat(40)}! HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const [answer, health] = await Promise.all([rawExchange(port, bytes, 5000), healthz(j.adminUrl)]);
  const [r] = responsesOf(answer);
  // the regex route does not match (RE2 says so at once); the catch-all takes it
  assert.equal(r?.status, 200);
  assert.equal(health, 200);
  assert.equal(seen.length, before + 1);
  const m = responsesOf(await rawExchange(port, `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 5000));
  assert.equal(m[0]?.status, 200, 'and it still matches what it should');
  assert.equal(await metric(j.adminUrl, 'junction_http_requests_total', { route: 'redos', code: '200' }), 1);
  assert.equal(await metric(j.adminUrl, 'junction_http_requests_total', { route: 'all', code: '200' }), 1);
  assert.equal(j.snapshot()?.routes.get('redos')?.spec.match?.pathRegex, '/(a+)+');
});

test('2. two Host headers are a 400 before anything is sent, and six of them do not eject the server', async () => {
  const before = seen.length;
  for (let i = 0; i < 6; i++) {
    const [r] = responsesOf(await rawExchange(port, 'GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n'));
    assert.equal(r?.status, 400);
    assert.equal(JSON.parse(r?.body ?? '{}').error, 'bad_request');
  }
  assert.equal(seen.length, before, 'nothing reached the upstream');
  const [ok] = responsesOf(await rawExchange(port, 'GET /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n'));
  assert.equal(ok?.status, 200, 'the server still takes traffic');
  assert.equal(await metric(j.adminUrl, 'junction_server_healthy', { backend: 'up', server: 'u1' }), 1);
});

test('2. an upstream that sends an unsolicited 100 Continue gets 502 answers but is never ejected', async () => {
  for (let i = 0; i < 7; i++) {
    const [r] = responsesOf(await rawExchange(port, 'GET /continue/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(r?.status, 502, 'undici takes no 100 it did not ask for');
  }
  assert.equal(cont.requests(), 7, 'every request reached the server: none was refused as no_server');
  assert.equal(await metric(j.adminUrl, 'junction_server_healthy', { backend: 'cont', server: 'c1' }), 1);
  assert.equal(await metric(j.adminUrl, 'junction_upstream_errors_total', { backend: 'cont', kind: 'protocol' }), 7);
});
