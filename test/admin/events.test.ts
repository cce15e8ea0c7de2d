/**
 * The events socket on a running Junction: configuration applied/rejected with the keys, canary
 * guard trips, and the per-second digest of requests per route, backend and code.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { get, startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { api } from './api-support.js';

let j: TestJunction;
let ok: TestUpstream;
let failing: TestUpstream;

before(async () => {
  j = await startTestJunction();
  ok = await startUpstream('ok');
  failing = await startUpstream('failing', (_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('boom');
  });
});
after(async () => {
  await j?.stop();
  await ok?.close();
  await failing?.close();
});

/** A listening client that records every message. */
async function listen(): Promise<{ messages: any[]; until: (what: string, pred: (m: any) => boolean, ms?: number) => Promise<any>; close: () => void }> {
  const ws = new WebSocket(`ws://127.0.0.1:${j.adminAddress.port}/api/v1/events`, ['junction.v1']);
  const messages: any[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const until = async (what: string, pred: (m: any) => boolean, ms = 8000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = messages.find(pred);
      if (found) return found;
      if (Date.now() > deadline) assert.fail(`no ${what} within ${ms} ms; got ${JSON.stringify(messages.map((m) => m.type))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { messages, until, close: () => ws.close() };
}

test('hello on connect, then config.applied with the keys of a REST write and config.rejected for a bad value', async () => {
  const c = await listen();
  const hello = await c.until('hello', (m) => m.type === 'hello');
  assert.equal(hello.instance, `test-${process.pid}`);
  assert.equal(typeof hello.revision, 'number');
  assert.match(hello.at, /^\d{4}-\d\d-\d\dT/);

  await api(j.adminUrl, 'PUT', '/api/v1/backends/ev', { servers: [{ id: 'a', url: ok.url }] });
  const put = await api(j.adminUrl, 'PUT', '/api/v1/routes/ev', { match: { pathPrefix: '/ev/' }, backend: 'ev' });
  const applied = await c.until('config.applied for routes/ev', (m) => m.type === 'config.applied' && m.keys.includes('/junction/routes/ev'));
  assert.equal(applied.revision, put.body.revision);
  assert.equal(typeof applied.issues, 'number');

  // a bad value written behind the API's back (etcdctl-style) is reported, with its key
  const rev = await j.put('routes/broken', '{not json');
  const rejected = await c.until('config.rejected', (m) => m.type === 'config.rejected' && m.key === '/junction/routes/broken');
  assert.equal(rejected.revision, rev);
  assert.equal(rejected.code, 'invalid_json');
  assert.equal(typeof rejected.message, 'string');
  c.close();
});

test('a per-second stats digest counts requests per route, backend and code from the metrics', async () => {
  const c = await listen();
  await c.until('hello', (m) => m.type === 'hello');
  const start = c.messages.length;
  for (let i = 0; i < 25; i++) assert.equal((await get(`${j.url}/ev/${i}`)).status, 200);
  for (let i = 0; i < 3; i++) assert.equal((await get(`${j.url}/nothing-here`)).status, 404);
  const counted = () => {
    const rows = c.messages.slice(start).filter((m) => m.type === 'stats').flatMap((m) => m.requests);
    const sum = (pred: (r: any) => boolean) => rows.filter(pred).reduce((n: number, r: any) => n + r.count, 0);
    return { ev: sum((r) => r.route === 'ev' && r.backend === 'ev' && r.code === '200'), none: sum((r) => r.route === '' && r.code === '404') };
  };
  const deadline = Date.now() + 5000;
  while ((counted().ev < 25 || counted().none < 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(counted(), { ev: 25, none: 3 });
  const stats = c.messages.find((m) => m.type === 'stats');
  assert.equal(stats.intervalMs, 1000);
  assert.ok(Array.isArray(stats.tee));
  assert.equal(typeof stats.totals.requests, 'number');
  c.close();
});

test('a canary guard trip is forwarded', async () => {
  const c = await listen();
  await api(j.adminUrl, 'PUT', '/api/v1/backends/ev-bad', { servers: [{ id: 'b', url: failing.url }] });
  const put = await api(j.adminUrl, 'PUT', '/api/v1/routes/guarded', {
    match: { pathPrefix: '/guarded/' },
    split: [
      { backend: 'ev', weight: 1 },
      { backend: 'ev-bad', weight: 1 },
    ],
    guard: { maxErrorRate: 0.5, minRequests: 5, windowMs: 30_000 },
  });
  assert.equal(put.status, 201, put.text);
  await j.applied(put.body.revision);
  for (let i = 0; i < 30; i++) await get(`${j.url}/guarded/${i}`);
  const trip = await c.until('canary.guard_tripped', (m) => m.type === 'canary.guard_tripped');
  assert.equal(trip.route, 'guarded');
  assert.equal(trip.backend, 'ev-bad');
  assert.ok(trip.errorRate > 0.5);
  c.close();
});
