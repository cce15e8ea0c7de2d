// Bad input, round two: each case sends the exact bytes of a probe and checks what the client and
// the upstream received. (docs/failure-modes.md has the same cases beside nginx and HAProxy.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { healthz, metric, rawExchange, responsesOf } from './helpers.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

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
  j = await startTestJunction();
  port = j.proxyAddress.port;
  await j.put('backends/up', { servers: [{ id: 'u1', url: up.url }] });
  await j.put('routes/redos', { match: { pathRegex: '/(a+)+' }, backend: 'up' });
  await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, priority: -1, backend: 'up' }));
});

after(async () => {
  await j?.stop();
  await up?.close();
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
