// Upstream TLS: https:// servers trusted through a backend's `tls.ca`, checked against
// `tls.serverName`, or not verified; a bad CA or a name mismatch is a clean 502 of kind `tls`. The
// client's Host never becomes the TLS name; WebSocket tunnels use the backend's `tls` too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { get, startTestJunction, type TestJunction } from '../support/junction.js';
import { TestCa } from '../support/test-ca.js';
import { metric } from '../faults/helpers.js';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';

let ca: TestCa;
let server: Server;
let url: string;
let j: TestJunction;

before(async () => {
  ca = new TestCa();
  const leaf = ca.issue(['api.internal']);
  server = createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ tls: true, servername: (req.socket as { servername?: string }).servername ?? null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  j = await startTestJunction();
});

after(async () => {
  await j?.stop();
  server?.closeAllConnections();
  server?.close();
  ca?.dispose();
});

async function backendWith(id: string, tls: unknown): Promise<void> {
  await j.put(`backends/${id}`, { servers: [{ id: 's', url }], ...(tls === undefined ? {} : { tls }) });
  await j.applied(await j.put(`routes/${id}`, { match: { pathPrefix: `/${id}/` }, backend: id }));
}

test('a backend trusting the server\'s CA, checking its name, reaches it over TLS (SNI sent)', async () => {
  await backendWith('trusted', { ca: ca.cert, serverName: 'api.internal' });
  const r = await get(`${j.url}/trusted/x`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json(), { tls: true, servername: 'api.internal' });
});

test('an unknown CA and a name mismatch are 502 of kind tls; verify: false accepts the certificate', async () => {
  await backendWith('system-cas', undefined);
  const a = await get(`${j.url}/system-cas/x`);
  assert.equal(a.status, 502);
  assert.equal(a.json().error, 'upstream_error');
  await backendWith('wrong-name', { ca: ca.cert, serverName: 'other.internal' });
  assert.equal((await get(`${j.url}/wrong-name/x`)).status, 502);
  assert.equal(await metric(j.adminUrl, 'junction_upstream_errors_total', { backend: 'system-cas', kind: 'tls' }), 1);
  assert.equal(await metric(j.adminUrl, 'junction_upstream_errors_total', { backend: 'wrong-name', kind: 'tls' }), 1);
  await backendWith('unverified', { verify: false });
  assert.equal((await get(`${j.url}/unverified/x`)).status, 200);
});

test('mutual TLS: the backend shows the certs/ key its tls.clientCert names; a new one is shown after a put', async () => {
  const serverLeaf = ca.issue(['mtls.internal']);
  const seenClients: string[] = [];
  const mtls = createServer({ cert: serverLeaf.cert, key: serverLeaf.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as import('node:tls').TLSSocket).getPeerX509Certificate();
    seenClients.push(peer?.fingerprint256 ?? 'none');
    res.end('ok');
  });
  await new Promise<void>((r) => mtls.listen(0, '127.0.0.1', () => r()));
  const mtlsUrl = `https://127.0.0.1:${(mtls.address() as AddressInfo).port}`;
  try {
    const first = ca.issue(['client.junction']);
    await j.put('certs/client', { cert: first.cert, key: first.key });
    await j.put('backends/mtls', { servers: [{ id: 's', url: mtlsUrl }], tls: { ca: ca.cert, serverName: 'mtls.internal', clientCert: 'client' } });
    await j.applied(await j.put('routes/mtls', { match: { pathPrefix: '/mtls/' }, backend: 'mtls' }));
    assert.equal((await get(`${j.url}/mtls/a`)).status, 200);
    const { X509Certificate } = await import('node:crypto');
    assert.equal(seenClients.at(-1), new X509Certificate(first.cert).fingerprint256);
    const second = ca.issue(['client.junction'], 20);
    await j.applied(await j.put('certs/client', { cert: second.cert, key: second.key }));
    assert.equal((await get(`${j.url}/mtls/b`)).status, 200);
    assert.equal(seenClients.at(-1), new X509Certificate(second.cert).fingerprint256, 'the new client certificate is shown');
    // a backend naming no such certificate: reported by key and field; the server refuses the handshake
    await j.applied(await j.put('backends/mtls', { servers: [{ id: 's', url: mtlsUrl }], tls: { ca: ca.cert, serverName: 'mtls.internal', clientCert: 'nope' } }));
    const issue = j.snapshot()?.issues.find((i) => i.key === '/junction/backends/mtls');
    assert.equal(issue?.field, 'tls.clientCert');
    assert.equal((await get(`${j.url}/mtls/c`)).status, 502);
  } finally {
    mtls.closeAllConnections();
    mtls.close();
  }
});

test('the client\'s Host never replaces the backend\'s TLS name: SNI and the check use tls.serverName, else the server URL\'s host', async () => {
  let handshakes = 0;
  const count = () => handshakes++;
  server.on('secureConnection', count);
  try {
    // health checks (no Host) share the pooled connection too
    await j.put('backends/by-name', { servers: [{ id: 's', url }], tls: { ca: ca.cert, serverName: 'api.internal' }, healthCheck: { path: '/health', intervalMs: 50 } });
    await j.applied(await j.put('routes/by-name', { match: { host: 'shop.example', pathPrefix: '/by-name/' }, backend: 'by-name' }));
    const r = await get(`${j.url}/by-name/x`, { headers: { host: 'shop.example' } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { tls: true, servername: 'api.internal' });
    // requests with other Hosts reuse the pooled connection: the TLS name does not follow them
    await j.applied(await j.put('routes/by-name-any', { match: { pathPrefix: '/by-name-any/' }, backend: 'by-name' }));
    const before = handshakes;
    for (const host of ['a.example', 'b.example', 'a.example']) {
      const again = await get(`${j.url}/by-name-any/x`, { headers: { host } });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json().servername, 'api.internal');
      await new Promise((r) => setTimeout(r, 120)); // a health check or two in between
    }
    assert.ok(handshakes - before <= 1, `${handshakes - before} new upstream TLS connections for 3 requests and the health checks between them`);
    // no serverName, and the server URL is an address: no SNI, the address is what is checked (the leaf has IP:127.0.0.1)
    await j.put('backends/by-address', { servers: [{ id: 's', url }], tls: { ca: ca.cert } });
    await j.applied(await j.put('routes/by-address', { match: { host: 'shop.example', pathPrefix: '/by-address/' }, backend: 'by-address' }));
    const byAddress = await get(`${j.url}/by-address/x`, { headers: { host: 'shop.example' } });
    assert.equal(byAddress.status, 200, byAddress.text);
    assert.deepEqual(byAddress.json(), { tls: true, servername: false }, 'no SNI (node:tls says false)');
  } finally {
    server.off('secureConnection', count);
  }
});

test('a WebSocket to an https:// backend uses the backend\'s tls (CA, name, client certificate)', async () => {
  const leaf = ca.issue(['ws.internal']);
  const seen: Array<{ servername: string | null; client: string }> = [];
  const wssServer = createServer({ cert: leaf.cert, key: leaf.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true });
  const wss = new WebSocketServer({ server: wssServer });
  wss.on('connection', (ws, req) => {
    const socket = req.socket as TLSSocket;
    seen.push({ servername: (socket as { servername?: string | false }).servername || null, client: socket.getPeerX509Certificate()?.fingerprint256 ?? 'none' });
    ws.send('hello over tls');
  });
  await new Promise<void>((r) => wssServer.listen(0, '127.0.0.1', () => r()));
  try {
    const client = ca.issue(['ws-client.junction']);
    await j.put('certs/ws-client', { cert: client.cert, key: client.key });
    await j.put('backends/wss', { servers: [{ id: 's', url: `https://127.0.0.1:${(wssServer.address() as AddressInfo).port}` }], tls: { ca: ca.cert, serverName: 'ws.internal', clientCert: 'ws-client' } });
    await j.applied(await j.put('routes/wss', { match: { host: 'chat.example', pathPrefix: '/socket' }, backend: 'wss' }));
    const ws = new WebSocket(`${j.url.replace('http:', 'ws:')}/socket`, { headers: { host: 'chat.example' } });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (m) => resolve(m.toString()));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
      ws.once('error', reject);
    });
    ws.close();
    assert.equal(first, 'hello over tls');
    const { X509Certificate } = await import('node:crypto');
    assert.deepEqual(seen, [{ servername: 'ws.internal', client: new X509Certificate(client.cert).fingerprint256 }]);
  } finally {
    for (const c of wss.clients) c.terminate();
    wss.close();
    wssServer.closeAllConnections();
    wssServer.close();
  }
});
