import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { healthz, rawExchange, responsesOf, statusesOf } from './helpers.js';

// Bad HTTP input on raw sockets against a real Junction and a real upstream that records every
// request it receives (on arrival, before any body). None of it may crash the process, and
// nothing malformed — and no request Junction did not itself parse and answer — may reach the upstream.

interface Arrival {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

let j: TestJunction;
let up: TestUpstream;
let port: number;
const arrivals: Arrival[] = [];

// Slow-header clients, opened first and left running while the other tests go on.
const HEADERS_TIMEOUT_MS = 20_000;
interface SlowClient {
  readonly name: string;
  readonly socket: Socket;
  readonly openedAt: number;
  closedAt: number | undefined;
  received: string;
  openAfter1s: boolean | undefined;
  readonly closed: Promise<void>;
  timer?: NodeJS.Timeout;
}
const slow: SlowClient[] = [];

function slowClient(name: string, onConnect: (c: SlowClient) => void): SlowClient {
  const socket = connect(port, '127.0.0.1');
  let resolveClosed!: () => void;
  const c: SlowClient = {
    name,
    socket,
    openedAt: Date.now(),
    closedAt: undefined,
    received: '',
    openAfter1s: undefined,
    closed: new Promise<void>((r) => (resolveClosed = r)),
  };
  socket.setEncoding('latin1');
  socket.on('connect', () => onConnect(c));
  socket.on('data', (d: string) => (c.received += d));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    c.closedAt = Date.now();
    if (c.timer) clearInterval(c.timer);
    resolveClosed();
  });
  setTimeout(() => (c.openAfter1s = c.closedAt === undefined), 1000).unref();
  return c;
}

before(async () => {
  up = await startUpstream('up', (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'up' });
    res.end(JSON.stringify({ upstream: 'up', url: req.url, bodyLength: body.length }));
  });
  up.server.on('request', (req) => arrivals.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers }));
  j = await startTestJunction();
  port = j.proxyAddress.port;
  await j.put('backends/up', { servers: [{ id: 'u1', url: up.url }] });
  await j.put('filters/mb', { type: 'max-body', config: { bytes: 1000 } });
  await j.put('routes/mb', { match: { pathPrefix: '/mb/' }, priority: 10, backend: 'up', filters: ['mb'] });
  await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, backend: 'up' }));

  // 1. half a header, then silence; 2. connected, nothing sent; 3. one byte every 500 ms, forever.
  slow.push(slowClient('half-header', (c) => c.socket.write('GET /slow-half HTTP/1.1\r\nHost: x\r\nX-Partial: ')));
  slow.push(slowClient('silent', () => undefined));
  slow.push(
    slowClient('trickle', (c) => {
      const text = `GET /slow-trickle HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(200)}`;
      let i = 0;
      c.timer = setInterval(() => {
        if (i < text.length && !c.socket.destroyed) c.socket.write(text[i++] as string);
      }, 500);
    }),
  );
});

after(async () => {
  for (const c of slow) c.socket.destroy();
  await j?.stop();
  await up?.close();
});

const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';

/** Sends `text`, checks the answer, checks nothing new reached the upstream, checks /healthz. */
async function expectRejected(what: string, text: string | Buffer, statuses: readonly number[] = [400]): Promise<string> {
  const before = arrivals.length;
  const raw = await rawExchange(port, text);
  const got = statusesOf(raw);
  assert.equal(got.length, 1, `${what}: exactly one response and the connection closed, got ${JSON.stringify(raw.slice(0, 300))}`);
  assert.ok(statuses.includes(got[0] as number), `${what}: status ${got[0]} not in ${statuses.join('/')}: ${JSON.stringify(raw.slice(0, 300))}`);
  if (got[0] === 400) assert.match(responsesOf(raw)[0]?.body ?? '', /^\{"error":"bad_request"/, `${what}: a JSON bad_request body: ${JSON.stringify(raw.slice(0, 300))}`);
  assert.deepEqual(
    arrivals.slice(before).map((a) => `${a.method} ${a.url}`),
    [],
    `${what}: nothing reached the upstream`,
  );
  assert.equal(await healthz(j.adminUrl), 200, `${what}: the process is alive`);
  return raw;
}

/** Every request the upstream ever saw was framed once and cleanly. */
function assertCleanFraming(a: Arrival): void {
  const te = a.headers['transfer-encoding'];
  assert.ok(te === undefined || te === 'chunked', `upstream saw transfer-encoding ${te} on ${a.url}`);
  assert.ok(!(te !== undefined && a.headers['content-length'] !== undefined), `upstream saw both content-length and transfer-encoding on ${a.url}`);
  assert.doesNotMatch(a.url, /smuggled|%zz|\x00/i, 'no smuggled or malformed request reached the upstream');
}

test('a well-formed request passes (the control case)', async () => {
  const raw = await rawExchange(port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.deepEqual(statusesOf(raw), [200]);
  assert.equal(arrivals.at(-1)?.url, '/ok');
});

test('Content-Length together with Transfer-Encoding: 400, nothing reaches the upstream', async () => {
  await expectRejected('CL+TE', `POST /te HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`);
  await expectRejected('TE+CL', `POST /te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n${SMUGGLED}`);
});

test('odd Transfer-Encoding values are refused (400/501), never smuggled', async () => {
  const cases: Array<[string, string]> = [
    ['chunked, identity', 'Transfer-Encoding: chunked, identity\r\n'],
    ['xchunked', 'Transfer-Encoding: xchunked\r\n'],
    ['chunked twice', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
    ['chunked then identity', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n'],
    ['obs-fold', 'Transfer-Encoding:\r\n chunked\r\n'],
    ['space before the colon', 'Transfer-Encoding : chunked\r\nContent-Length: 5\r\n'],
    ['gzip only', 'Transfer-Encoding: gzip\r\n'],
  ];
  for (const [what, header] of cases) {
    await expectRejected(what, `POST /te HTTP/1.1\r\nHost: x\r\n${header}\r\n0\r\n\r\n${SMUGGLED}`, [400, 501]);
  }
  await expectRejected('two different Content-Length', `POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nabcd${SMUGGLED}`);
  await expectRejected('negative Content-Length', `POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n${SMUGGLED}`);
  await expectRejected('bad chunk size', `POST /cl HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n${SMUGGLED}`);
  for (const a of arrivals) assertCleanFraming(a);
});

test('a Transfer-Encoding whose final coding is chunked is handled cleanly: the upstream sees exactly what Junction answered', async () => {
  const before = arrivals.length;
  const raw = await rawExchange(
    port,
    'POST /te-ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  const statuses = statusesOf(raw);
  const seen = arrivals.slice(before);
  if (statuses[0] === 200) {
    // Junction parsed two requests and answered two: the upstream saw the same two, re-framed.
    assert.deepEqual(statuses, [200, 200], raw);
    assert.deepEqual(seen.map((a) => `${a.method} ${a.url}`), ['POST /te-ok', 'GET /after']);
    assert.equal(up.seen.find((s) => s.url === '/te-ok')?.body.toString(), 'abc');
  } else {
    assert.ok(statuses.length === 1 && (statuses[0] === 400 || statuses[0] === 501), raw);
    assert.deepEqual(seen, []);
  }
  for (const a of seen) assertCleanFraming(a);
  assert.equal(await healthz(j.adminUrl), 200);
});

test('oversized headers: 431 headers_too_large, nothing reaches the upstream', async () => {
  const one = await expectRejected('one 20 KB header', `GET /big HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, [431]);
  assert.match(one, /"error":"headers_too_large"/);
  const many = Array.from({ length: 400 }, (_, i) => `X-H${i}: ${'b'.repeat(40)}\r\n`).join('');
  await expectRejected('400 headers of 50 bytes', `GET /big HTTP/1.1\r\nHost: x\r\n${many}\r\n`, [431]);
  await expectRejected('a 20 KB request target', `GET /${'p'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, [414, 431, 400]);
});

test('malformed request lines, bad escapes and NUL bytes: 400 (505 for a version), nothing reaches the upstream', async () => {
  const lines: Array<[string, string | Buffer, number[]?]> = [
    ['a NUL in the path', 'GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a NUL in a header value', 'GET /a HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'],
    ['a space in a header name', 'GET /a HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n'],
    ['a lower-case method', 'get /a HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['an unknown version', 'GET /a HTTP/9.9\r\nHost: x\r\n\r\n', [505]],
    ['extra tokens on the request line', 'GET /a HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
    ['a bare CR', 'GET /a HTTP/1.1\rHost: x\r\n\r\n'],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a])],
  ];
  for (const [what, text, statuses] of lines) await expectRejected(what, text, statuses);
  const paths = ['/a/%zz', '/a%', '/a%2', '/%00', '/a/%0d%0aX-Injected:%20yes', '/%7f', '/%G0'];
  for (const p of paths) {
    const raw = await expectRejected(`path ${p}`, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(raw, /"error":"bad_request"/);
  }
  await expectRejected('an absolute-form target with another scheme', 'GET ftp://x/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await expectRejected('an asterisk-form target on GET', 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
});

test('an HTTP/1.1 request without Host: 400 with the JSON bad_request body, nothing reaches the upstream', async () => {
  await expectRejected('HTTP/1.1 without Host', 'GET /a HTTP/1.1\r\n\r\n');
});

test('CONNECT is refused or closed, never tunnelled to an upstream', async () => {
  const before = arrivals.length;
  const raw = await rawExchange(port, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n');
  const statuses = statusesOf(raw);
  assert.ok(statuses.length === 0 || (statuses[0] as number) >= 400, `CONNECT answered ${JSON.stringify(raw.slice(0, 200))}`);
  assert.equal(arrivals.length, before);
  assert.equal(await healthz(j.adminUrl), 200);
});

test('a request pipelined after a malformed one never reaches the upstream', async () => {
  // A parser-level error: the stream cannot be trusted past it, so the connection must close.
  await expectRejected('NUL then a pipelined GET', 'GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\nGET /pipelined-1 HTTP/1.1\r\nHost: x\r\n\r\n');
  await expectRejected('CL+TE then a pipelined GET', `POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /pipelined-2 HTTP/1.1\r\nHost: x\r\n\r\n`);
  // A well-framed request with a bad path: 400 for it; the next one may be served (it is framed
  // cleanly) or the connection closed — but the bad one never reaches the upstream.
  const before = arrivals.length;
  const raw = await rawExchange(port, 'GET /x/%zz HTTP/1.1\r\nHost: x\r\n\r\nGET /pipelined-3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const statuses = statusesOf(raw);
  assert.equal(statuses[0], 400, raw);
  const seen = arrivals.slice(before).map((a) => a.url);
  if (statuses.length === 2) {
    assert.equal(statuses[1], 200);
    assert.deepEqual(seen, ['/pipelined-3']);
  } else {
    assert.deepEqual(statuses, [400]);
    assert.deepEqual(seen, []);
  }
  assert.equal(await healthz(j.adminUrl), 200);
});

test('max-body: an oversized body gets 413 body_too_large and never reaches the upstream whole', async () => {
  // declared too large: refused before a byte of body is read
  const declared = await rawExchange(port, [
    'POST /mb/declared HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5000\r\n\r\n',
    'x'.repeat(5000),
  ]);
  assert.equal(statusesOf(declared)[0], 413, declared.slice(0, 300));
  assert.match(declared, /"error":"body_too_large"/);
  assert.equal(arrivals.filter((a) => a.url === '/mb/declared').length, 0, 'a declared oversized body never reaches the upstream');

  // streamed (chunked, no length): cut off at the cap
  const chunks = Array.from({ length: 10 }, () => `1f4\r\n${'y'.repeat(500)}\r\n`).join('');
  const streamed = await rawExchange(port, [`POST /mb/streamed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`, chunks, '0\r\n\r\n']);
  assert.equal(statusesOf(streamed)[0], 413, streamed.slice(0, 300));
  assert.match(streamed, /"error":"body_too_large"/);
  assert.equal(
    up.seen.filter((s) => s.url === '/mb/streamed').length,
    0,
    'the upstream never received the oversized streamed request complete',
  );

  // under the cap: served
  const small = await rawExchange(port, [`POST /mb/small HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nConnection: close\r\n\r\n`, 'z'.repeat(500)]);
  assert.equal(statusesOf(small)[0], 200, small.slice(0, 300));
  assert.equal(up.seen.find((s) => s.url === '/mb/small')?.body.length, 500);
  assert.equal(await healthz(j.adminUrl), 200);
});

test(`slow headers: a client that stalls is closed within the ${HEADERS_TIMEOUT_MS / 1000} s headers timeout, not before`, async (t) => {
  const first = Math.min(...slow.map((c) => c.openedAt));
  if (Date.now() < first + 1_200) await new Promise((r) => setTimeout(r, first + 1_200 - Date.now()));
  for (const c of slow) assert.equal(c.openAfter1s, true, `${c.name}: still open after 1 s`);
  const limit = HEADERS_TIMEOUT_MS + 2_500;
  await Promise.race([
    Promise.all(slow.map((c) => c.closed)),
    new Promise((r) => setTimeout(r, Math.max(0, Math.min(...slow.map((c) => c.openedAt)) + limit - Date.now()))),
  ]);
  for (const c of slow) {
    const lived = (c.closedAt ?? Date.now()) - c.openedAt;
    t.diagnostic(`${c.name}: ${c.closedAt === undefined ? 'still open' : 'closed'} after ${lived} ms; got ${JSON.stringify(c.received.split('\r\n')[0] ?? '')}`);
  }
  for (const c of slow) {
    assert.ok(c.closedAt !== undefined, `${c.name}: closed by the server within ${limit} ms`);
    const lived = c.closedAt - c.openedAt;
    assert.ok(lived >= HEADERS_TIMEOUT_MS - 1_000, `${c.name}: not closed before the headers timeout (${lived} ms)`);
    if (c.received !== '') assert.match(c.received, /^HTTP\/1\.1 408 /, `${c.name}: answered 408 if anything`);
  }
  assert.equal(arrivals.filter((a) => a.url.startsWith('/slow-')).length, 0, 'no slow request reached the upstream');
  assert.equal(await healthz(j.adminUrl), 200);
});
