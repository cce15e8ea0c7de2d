import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { TestUpstream } from '../support/upstream.js';
import type { TestCa } from '../support/test-ca.js';
import { startTlsJunction, type TlsJunction } from '../support/tls-junction.js';

// The TLS listener's own connection deadlines (node:http2's HTTP/1.1 fallback enforces none):
// an HTTP/1.1 head must be complete within http1HeadMs of the handshake or of the last answer,
// and an idle HTTP/2 session gets GOAWAY after h2IdleMs. Short deadlines here; 20 s and 120 s by default.

const HEAD_MS = 600;
const IDLE_MS = 600;

let ca: TestCa;
let up: TestUpstream;
let port: number;

let fx: TlsJunction;

before(async () => {
  fx = await startTlsJunction({
    certs: { t: { names: ['t.test'], default: true } },
    upstream: (req, res) => {
      setTimeout(() => res.end('done'), req.url === '/slow' ? HEAD_MS * 2 : 0);
    },
    junction: { tlsTimeouts: { http1HeadMs: HEAD_MS, h2IdleMs: IDLE_MS } },
  });
  ({ ca, up, port } = fx);
});

after(async () => {
  await fx?.stop();
});

/** An HTTP/1.1-over-TLS connection; `closedAt` resolves with ms since connect when the server closes it. */
async function http1(): Promise<{ socket: TLSSocket; received: () => string; closedAfter: Promise<number> }> {
  const start = Date.now();
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 't.test', ca: ca.cert, ALPNProtocols: ['http/1.1'] });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString()));
  socket.on('error', () => undefined);
  const closedAfter = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - start)));
  return { socket, received: () => got, closedAfter };
}

test('HTTP/1.1 over TLS: a head never finished is cut at the deadline, even when a byte arrives now and then (slowloris)', async () => {
  const stalled = await http1();
  stalled.socket.write('GET / HTTP/1.1\r\nHost: t.test\r\n');
  const drip = await http1();
  drip.socket.write('GET / HTTP/1.1\r\n');
  const timer = setInterval(() => drip.socket.writable && drip.socket.write('X-Drip: 1\r\n'), 100);
  try {
    const [a, b] = await Promise.all([stalled.closedAfter, drip.closedAfter]);
    for (const ms of [a, b]) assert.ok(ms >= HEAD_MS - 50 && ms < HEAD_MS + 1500, `closed after ${ms} ms`);
  } finally {
    clearInterval(timer);
  }
  assert.equal(up.seen.length, 0, 'nothing reached the upstream');
});

test('HTTP/1.1 over TLS: keep-alive requests inside the deadline are served; an answer that takes longer is not cut; then the idle connection closes', async () => {
  const c = await http1();
  c.socket.write('GET /a HTTP/1.1\r\nHost: t.test\r\n\r\n');
  await new Promise((r) => setTimeout(r, HEAD_MS / 2));
  c.socket.write('GET /slow HTTP/1.1\r\nHost: t.test\r\n\r\n'); // answered after 2 x the deadline
  const closedAfter = await c.closedAfter;
  const answers = c.received().match(/HTTP\/1\.1 200/g) ?? [];
  assert.equal(answers.length, 2, `both answered: ${c.received()}`);
  assert.ok(c.received().endsWith('done') || /done\r?\n?(0\r\n\r\n)?$/.test(c.received()), 'the slow answer is whole');
  assert.ok(closedAfter >= HEAD_MS / 2 + HEAD_MS * 2 + HEAD_MS - 100, `closed only a deadline after the last answer (${closedAfter} ms)`);
});

test('HTTP/2: an idle session gets GOAWAY after the deadline; a stream longer than it finishes first', async () => {
  const session = h2connect(`https://127.0.0.1:${port}`, { ca: ca.cert, servername: 't.test' });
  session.on('error', () => undefined);
  const start = Date.now();
  const goaway = new Promise<number>((resolve) => session.once('goaway', () => resolve(Date.now() - start)));
  const body = await new Promise<string>((resolve, reject) => {
    const req = session.request({ ':path': '/slow', ':authority': 't.test' });
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => resolve(text));
    req.on('error', reject);
    req.end();
  });
  assert.equal(body, 'done', 'the stream that outlasted the deadline finished');
  const after = await goaway;
  assert.ok(after >= IDLE_MS, `GOAWAY after ${after} ms`);
  assert.ok(after < HEAD_MS * 2 + IDLE_MS + 1500, `GOAWAY once idle (${after} ms)`);
  await new Promise<void>((resolve) => (session.closed ? resolve() : session.once('close', () => resolve())));
});
