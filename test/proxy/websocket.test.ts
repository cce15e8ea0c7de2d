import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { startTestJunction, type TestJunction } from '../support/junction.js';

let j: TestJunction;
let server: Server;
let wss: WebSocketServer;
const upgradeHeaders: Array<Record<string, string | string[] | undefined>> = [];

before(async () => {
  server = createServer((_req, res) => res.end('plain'));
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upgradeHeaders.push(req.headers);
    ws.on('message', (m, isBinary) => ws.send(isBinary ? m : `echo:${m.toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  j = await startTestJunction();
  await j.put('backends/ws', { servers: [{ id: 'w1', url }] });
  const rev = await j.put('routes/ws', { match: { pathPrefix: '/socket' }, backend: 'ws' });
  await j.applied(rev);
});

after(async () => {
  await j?.stop();
  wss?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

test('proxies a WebSocket upgrade on the same routes, both directions', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${j.proxyAddress.port}/socket?x=1`, { headers: { 'x-forwarded-for': '9.9.9.9' } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const replies: string[] = [];
  const done = new Promise<void>((resolve) =>
    ws.on('message', (m) => {
      replies.push(m.toString());
      if (replies.length === 3) resolve();
    }),
  );
  ws.send('a');
  ws.send('b');
  ws.send('c');
  await done;
  assert.deepEqual(replies, ['echo:a', 'echo:b', 'echo:c']);
  ws.close();
  const h = upgradeHeaders.at(-1) ?? {};
  assert.equal(h['x-forwarded-for'], '127.0.0.1', 'client X-Forwarded-For is replaced, not appended to');
  assert.match(String(h['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('an upgrade with no matching route gets a 404 JSON answer', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${j.proxyAddress.port}/nowhere`);
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
  assert.equal(status, 404);
});
