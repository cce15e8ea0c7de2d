/**
 * The events socket's own mechanics, on a real HTTP server and real WebSocket clients: any
 * JunctionEvent is forwarded as it is (plus `at`), dead peers are dropped by the heartbeat, slow
 * consumers by their backlog, and oversized client messages close the socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import WebSocket from 'ws';
import { AdminAuth } from '../../src/admin/auth.js';
import { EventsSocket } from '../../src/admin/events/events-socket.js';
import { JunctionEvents } from '../../src/observability/events.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { waitFor } from '../support/wait.js';

interface Fixture {
  readonly server: Server;
  readonly socket: EventsSocket;
  readonly events: JunctionEvents;
  readonly url: string;
  close(): Promise<void>;
}

async function start(heartbeatMs: number): Promise<Fixture> {
  const server = createServer((_req, res) => res.end());
  const events = new JunctionEvents();
  const socket = new EventsSocket(server, {
    events,
    auth: new AdminAuth(undefined),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    hello: () => ({ instance: 'unit', revision: 7 }),
    heartbeatMs,
    digestMs: 100,
    maxBufferedBytes: 64 * 1024,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    socket,
    events,
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`,
    close: async () => {
      socket.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// heartbeats every 150 ms here; the slow-consumer test uses its own instance without them
let f: Fixture;
let socket: EventsSocket;
let events: JunctionEvents;
let url: string;

before(async () => {
  f = await start(150);
  ({ socket, events, url } = f);
});
after(async () => {
  await f?.close();
});

function open(at = url): Promise<{ ws: WebSocket; messages: any[] }> {
  const ws = new WebSocket(at);
  const messages: any[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('error', reject);
  });
}

test('any JunctionEvent is forwarded as {type, at, ...fields}; stats arrive every interval', async () => {
  const { ws, messages } = await open();
  await waitFor('hello', () => messages.some((m) => m.type === 'hello' && m.instance === 'unit' && m.revision === 7));
  events.emit({ type: 'canary.guard_reset', route: 'r', backend: 'b' });
  const reset = await waitFor('the forwarded event', () => messages.find((m) => m.type === 'canary.guard_reset'));
  assert.equal(reset.route, 'r');
  assert.equal(reset.backend, 'b');
  assert.match(reset.at, /Z$/);
  await waitFor('two stats digests', () => messages.filter((m) => m.type === 'stats').length >= 2);
  ws.close();
});

test('a peer that stops answering pings is dropped', async () => {
  const { ws } = await open();
  await waitFor('registered', () => socket.clientCount >= 1);
  const closed = new Promise((r) => ws.once('close', r));
  // the client's socket stops reading: it never sees the pings, never pongs
  const raw = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  raw.pause();
  await waitFor('the server dropped it', () => socket.clientCount === 0, 3000);
  raw.resume();
  await closed;
});

test('a consumer too slow to read its backlog is dropped; the others keep receiving', async () => {
  const g = await start(60_000);
  const { socket, events } = g;
  const fast = await open(g.url);
  const slow = await open(g.url);
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const slowClosed = new Promise((r) => slow.ws.once('close', r));
  let dropped = false;
  void slowClosed.then(() => (dropped = true));
  const payload = 'x'.repeat(2000);
  for (let i = 0; i < 20_000 && socket.clientCount > 1; i++) {
    events.emit({ type: 'config.rejected', revision: i, key: '/k', code: 'invalid_json', message: payload });
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  assert.equal(socket.clientCount, 1, 'the slow client was dropped');
  await waitFor('the fast client got the events', () => fast.messages.filter((m) => m.type === 'config.rejected').length > 100);
  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await slowClosed;
  assert.ok(dropped);
  fast.ws.close();
  await g.close();
});

test('a client message above 4 KiB closes its socket (1009)', async () => {
  const { ws } = await open();
  const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
  ws.send('y'.repeat(10_000));
  assert.equal(await code, 1009);
});

test('other upgrade paths are refused with 404', async () => {
  const ws = new WebSocket(url.replace('/api/v1/events', '/api/v1/other'));
  const status = await new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(-1));
  });
  assert.equal(status, 404);
});
