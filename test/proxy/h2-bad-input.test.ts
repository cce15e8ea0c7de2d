// HTTP/2 on the TLS listener under bad input, with frames written byte by byte: what HTTP/2 forbids
// (connection-specific headers, CR/LF in a value, a body shorter than its content-length) is
// refused and never becomes a request upstream; many streams opened and reset by one client
// (rapid reset) do not cost another client its answer; shutdown sends GOAWAY and lets a stream
// under way finish.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import type { TestJunction } from '../support/junction.js';
import type { TestUpstream } from '../support/upstream.js';
import type { TestCa } from '../support/test-ca.js';
import { startTlsJunction, type TlsJunction } from '../support/tls-junction.js';
import { FRAME, RawH2, indexedStatus } from '../support/raw-h2.js';

let ca: TestCa;
let j: TestJunction;
let up: TestUpstream;
let port: number;

let fx: TlsJunction;

before(async () => {
  fx = await startTlsJunction({
    certs: { h2: { names: ['h2.test'], default: true } },
    upstream: (req, res, body) => {
      const delay = req.url?.startsWith('/slow') ? 800 : 0;
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ url: req.url, bodyLength: body.length }));
      }, delay);
    },
    junction: { shutdownTimeoutMs: 5000 },
  });
  ({ ca, j, up, port } = fx);
});

after(async () => {
  await fx?.stop();
});

const BASE: ReadonlyArray<readonly [string, string]> = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'h2.test'],
];

/** Sends one request's HEADERS on a fresh connection; what did the server answer on that stream? */
async function send(fields: ReadonlyArray<readonly [string, string]>, body?: { data: Buffer; endStream: boolean }): Promise<'response' | '400' | 'reset' | 'goaway' | 'nothing'> {
  const c = await RawH2.open(port, 'h2.test', ca.cert);
  try {
    c.headers(1, fields, body === undefined);
    if (body !== undefined) c.data(1, body.data, body.endStream);
    const f = await c.waitFor((x) => (x.stream === 1 && (x.type === FRAME.HEADERS || x.type === FRAME.RST_STREAM)) || x.type === FRAME.GOAWAY, 2000);
    if (f === undefined) return 'nothing';
    if (f.type === FRAME.HEADERS) return indexedStatus(f) === 400 ? '400' : 'response';
    return f.type === FRAME.RST_STREAM ? 'reset' : 'goaway';
  } finally {
    c.close();
  }
}

test('the control: a well-formed request over raw frames is answered', async () => {
  assert.equal(await send([...BASE, [':path', '/ok']]), 'response');
  assert.equal(up.seen.at(-1)?.url, '/ok');
});

test('connection-specific headers and a short body are refused; the upstream sees none of them', async () => {
  const before = up.seen.length;
  for (const [name, value] of [
    ['connection', 'keep-alive'],
    ['transfer-encoding', 'chunked'],
    ['upgrade', 'websocket'],
    ['keep-alive', 'timeout=5'],
    ['te', 'gzip'],
  ] as const) {
    const outcome = await send([...BASE, [':path', `/bad/${name}`], [name, value]]);
    // refused by nghttp2 (stream or connection error) or by Junction (400): never answered as a request
    assert.ok(outcome !== 'response' && outcome !== 'nothing', `${name}: ${JSON.stringify(value)}: ${outcome}`);
  }
  const short = await send([[':method', 'POST'], ...BASE.slice(1), [':path', '/bad/short'], ['content-length', '10']], { data: Buffer.from('abc'), endStream: true });
  assert.ok(short !== 'response' && short !== 'nothing', `a body shorter than its content-length: ${short}`);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(
    up.seen.slice(before).map((s) => s.url),
    [],
    'nothing reached the upstream',
  );
});

test('a header value with CR, LF or NUL never reaches the upstream (nghttp2 drops the field)', async () => {
  for (const value of ['a\r\nx-injected: yes', 'a\nb', 'a\0b']) {
    const before = up.seen.length;
    await send([...BASE, [':path', '/crlf'], ['x-evil', value]]);
    for (const s of up.seen.slice(before)) {
      assert.equal(s.headers['x-evil'], undefined, JSON.stringify(value));
      assert.equal(s.headers['x-injected'], undefined);
      for (const v of s.rawHeaders) assert.doesNotMatch(v, /[\r\n\0]/);
    }
  }
});

test('rapid reset: a client opening and resetting thousands of streams does not cost another client its answer', async () => {
  const attacker = await RawH2.open(port, 'h2.test', ca.cert);
  for (let i = 0; i < 4000; i++) {
    const stream = 2 * i + 1;
    attacker.headers(stream, [...BASE, [':path', `/flood/${i}`]], true);
    attacker.rst(stream);
  }
  const victim = h2connect(`https://127.0.0.1:${port}`, { ca: ca.cert, servername: 'h2.test' });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = victim.request({ ':path': '/victim', ':authority': 'h2.test' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 200);
  } finally {
    victim.close();
    attacker.close();
  }
});

test('shutdown sends GOAWAY; the stream under way finishes', async () => {
  const s = h2connect(`https://127.0.0.1:${port}`, { ca: ca.cert, servername: 'h2.test' });
  const goaway = new Promise<void>((resolve) => s.once('goaway', () => resolve()));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = s.request({ ':path': '/slow', ':authority': 'h2.test' });
    let status = 0;
    let body = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ status, body }));
    req.on('error', reject);
    req.end();
  });
  await new Promise((r) => setTimeout(r, 200)); // the request is with the upstream
  const closing = j.close();
  await goaway;
  const r = await answer;
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).url, '/slow');
  await closing;
  s.close();
});
