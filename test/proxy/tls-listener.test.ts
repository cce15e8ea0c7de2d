// The TLS listener with real clients: HTTP/2 and HTTP/1.1 by ALPN on one port, certificates by
// SNI from `certs/` keys (exact, wildcard, default, none), a put reaching the next handshake,
// every feature over HTTP/2 (routing by :authority, filters, canary stickiness, tee), wss, and
// X-Forwarded-Proto https.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders as H2Headers } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { TestCa, type Minted } from '../support/test-ca.js';
import { metric } from '../faults/helpers.js';
import { waitFor } from '../support/wait.js';

let ca: TestCa;
let shop: Minted;
let wild: Minted;
let fallback: Minted;
let j: TestJunction;
let up: TestUpstream;
let canary: TestUpstream;
let shadow: TestUpstream;
let wsServer: Server;
let port: number;

before(async () => {
  ca = new TestCa();
  shop = ca.issue(['shop.test']);
  wild = ca.issue(['*.wild.test']);
  fallback = ca.issue(['default.test']);
  up = await startUpstream('stable');
  canary = await startUpstream('canary');
  shadow = await startUpstream('shadow');
  wsServer = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server: wsServer });
  wss.on('connection', (ws, req) => ws.send(`hello ${String(req.headers['x-forwarded-proto'])}`));
  await new Promise<void>((r) => wsServer.listen(0, '127.0.0.1', () => r()));
  j = await startTestJunction({ listenTls: { host: '127.0.0.1', port: 0 } });
  port = (j.tlsAddress as AddressInfo).port;
  await j.put('certs/shop', { cert: shop.cert, key: shop.key });
  await j.put('certs/wild', { cert: wild.cert, key: wild.key });
  await j.put('certs/fallback', { cert: fallback.cert, key: fallback.key, default: true });
  await j.put('backends/stable', { servers: [{ id: 's', url: up.url }] });
  await j.put('backends/canary', { servers: [{ id: 'c', url: canary.url }] });
  await j.put('backends/shadow', { servers: [{ id: 'sh', url: shadow.url }] });
  await j.put('backends/ws', { servers: [{ id: 'w', url: `http://127.0.0.1:${(wsServer.address() as AddressInfo).port}` }] });
  await j.put('filters/deny-local', { type: 'ip-filter', config: { deny: ['127.0.0.0/8'] } });
  await j.put('routes/denied', { match: { host: 'shop.test', pathPrefix: '/denied/' }, backend: 'stable', filters: ['deny-local'] });
  await j.put('routes/socket', { match: { host: 'shop.test', pathPrefix: '/socket' }, backend: 'ws' });
  await j.put('routes/split', {
    match: { host: 'shop.test', pathPrefix: '/split/' },
    split: [
      { backend: 'stable', weight: 50 },
      { backend: 'canary', weight: 50 },
    ],
    sticky: { cookie: 'junction_canary' },
  });
  await j.put('routes/mirrored', { match: { host: 'shop.test', pathPrefix: '/mirrored/' }, backend: 'stable', tee: [{ backend: 'shadow' }] });
  await j.applied(await j.put('routes/shop', { match: { host: 'shop.test' }, backend: 'stable' }));
});

after(async () => {
  await j?.stop();
  for (const u of [up, canary, shadow]) await u?.close();
  wsServer?.closeAllConnections();
  wsServer?.close();
  ca?.dispose();
});

function h2session(servername: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = h2connect(`https://127.0.0.1:${port}`, { ca: ca.cert, servername });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function h2get(s: ClientHttp2Session, path: string, headers: Record<string, string> = {}): Promise<{ headers: H2Headers; body: string }> {
  return new Promise((resolve, reject) => {
    const req = s.request({ ':path': path, ':authority': 'shop.test', ...headers });
    let body = '';
    let head: H2Headers = {};
    req.on('response', (h) => (head = h));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ headers: head, body }));
    req.on('error', reject);
    req.end();
  });
}

/** The certificate a handshake naming `servername` gets (undefined when the handshake fails). */
function served(servername: string | undefined): Promise<X509Certificate | undefined> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ...(servername === undefined ? {} : { servername }), rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const raw = s.getPeerX509Certificate();
      s.destroy();
      resolve(raw);
    });
    s.on('error', () => resolve(undefined));
  });
}

test('one port speaks HTTP/2 and HTTP/1.1 by ALPN; upstream gets X-Forwarded-Proto https and :authority as Host', async () => {
  const s = await h2session('shop.test');
  const r = await h2get(s, '/hello');
  s.close();
  assert.equal(r.headers[':status'], 200);
  assert.equal(JSON.parse(r.body).upstream, 'stable');
  const seen = up.seen.at(-1);
  assert.equal(seen?.headers['x-forwarded-proto'], 'https');
  assert.equal(seen?.headers.host, 'shop.test');
  assert.equal(seen?.headers[':authority'], undefined, 'no pseudo-header goes upstream');
  const h1 = await new Promise<{ status: number; version: string }>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/hello', servername: 'shop.test', headers: { host: 'shop.test' }, ca: ca.cert, agent: false },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, version: res.httpVersion });
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.deepEqual(h1, { status: 200, version: '1.1' });
  assert.ok(((await metric(j.adminUrl, 'junction_http_requests_by_protocol_total', { protocol: 'h2' })) ?? 0) >= 1);
});

test('SNI picks the exact name, then a wildcard one label up, then the default; a put reaches the next handshake', async () => {
  const fp = (m: Minted) => new X509Certificate(m.cert).fingerprint256;
  assert.equal((await served('shop.test'))?.fingerprint256, fp(shop));
  assert.equal((await served('SHOP.test'))?.fingerprint256, fp(shop));
  assert.equal((await served('a.wild.test'))?.fingerprint256, fp(wild));
  assert.equal((await served('b.a.wild.test'))?.fingerprint256, fp(fallback), 'a wildcard covers one label only');
  assert.equal((await served('nowhere.test'))?.fingerprint256, fp(fallback));
  assert.equal((await served(undefined))?.fingerprint256, fp(fallback), 'no SNI (a client by IP): the default');
  // a longer-lived certificate for the same name is put: the next handshake has it
  const renewed = ca.issue(['shop.test'], 20);
  await j.applied(await j.put('certs/shop-next', { cert: renewed.cert, key: renewed.key }));
  assert.equal((await served('shop.test'))?.fingerprint256, fp(renewed));
  await j.applied(await j.del('certs/shop-next'));
  assert.equal((await served('shop.test'))?.fingerprint256, fp(shop));
  // without a default, a name nothing covers fails the handshake (Node can send no unrecognized_name: see docs/tls.md)
  await j.applied(await j.del('certs/fallback'));
  assert.equal(await served('nowhere.test'), undefined);
  assert.equal(await served(undefined), undefined);
  assert.ok(((await metric(j.adminUrl, 'junction_tls_handshake_errors_total', { reason: 'unknown_name' })) ?? 0) >= 2);
  await j.applied(await j.put('certs/fallback', { cert: fallback.cert, key: fallback.key, default: true }));
  assert.equal((await served(undefined))?.fingerprint256, fp(fallback));
});

test('over HTTP/2: filters refuse, the canary cookie sticks, the tee mirrors', async () => {
  const s = await h2session('shop.test');
  try {
    const denied = await h2get(s, '/denied/x');
    assert.equal(denied.headers[':status'], 403);
    const first = await h2get(s, '/split/x');
    const cookie = String(first.headers['set-cookie'] ?? '');
    const side = /junction_canary=(stable|canary)/.exec(cookie)?.[1];
    assert.ok(side, `a sticky cookie: ${cookie}`);
    for (let i = 0; i < 5; i++) {
      const again = await h2get(s, '/split/x', { cookie: `junction_canary=${side}` });
      assert.equal(JSON.parse(again.body).upstream, side);
    }
    const before = shadow.seen.length;
    const mirrored = await h2get(s, '/mirrored/y?z=1');
    assert.equal(mirrored.headers[':status'], 200);
    await waitFor('the shadow copy', () => shadow.seen.length === before + 1);
    assert.equal(shadow.seen.at(-1)?.url, '/mirrored/y?z=1');
    assert.equal(shadow.seen.at(-1)?.headers['x-junction-shadow'], '1');
  } finally {
    s.close();
  }
});

test('a WebSocket over TLS (wss, HTTP/1.1) is proxied and told X-Forwarded-Proto https', async () => {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/socket`, { ca: ca.cert, servername: 'shop.test', headers: { host: 'shop.test' } } as ConstructorParameters<typeof WebSocket>[2]);
  const first = await new Promise<string>((resolve, reject) => {
    ws.once('message', (m) => resolve(m.toString()));
    ws.once('error', reject);
  });
  ws.close();
  assert.equal(first, 'hello https');
});

test('https-redirect leaves requests that came over TLS alone', async () => {
  await j.put('filters/to-https', { type: 'https-redirect', config: {} });
  await j.applied(await j.put('routes/secure-only', { match: { host: 'shop.test', pathPrefix: '/secure/' }, backend: 'stable', filters: ['to-https'] }));
  const s = await h2session('shop.test');
  const r = await h2get(s, '/secure/x');
  s.close();
  assert.equal(r.headers[':status'], 200);
});
