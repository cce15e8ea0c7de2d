// Upstream TLS: https:// servers trusted through a backend's `tls.ca`, checked against
// `tls.serverName`, or not verified; a bad CA or a name mismatch is a clean 502 of kind `tls`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { get, startTestJunction, type TestJunction } from '../support/junction.js';
import { TestCa } from '../support/test-ca.js';
import { metric } from '../faults/helpers.js';

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
