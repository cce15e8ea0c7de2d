import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { freePort } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { describeLoad, startLoad } from '../support/load.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { metricsText, pct } from './helpers.js';

// Upstream servers dying, resetting and failing, and the retries that hide it (BackendSpec.retry:
// `attempts` tries after the first, each on another server, only for idempotent requests without
// a body, on the listed failures, within a budget).

let j: TestJunction;
const ups: TestUpstream[] = [];

/** An upstream that answers after a few ms, so some requests are always in flight when it dies. */
function slowish(name: string): Promise<TestUpstream> {
  return startUpstream(name, (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': name });
      res.end(name);
    }, 3);
  });
}

before(async () => {
  j = await startTestJunction();
});

after(async () => {
  await j?.stop();
  for (const u of ups) await u.close().catch(() => undefined);
});

test('an upstream server killed under load: at least 99.9% of GETs succeed', async (t) => {
  const s = await Promise.all(['k1', 'k2', 'k3'].map(slowish));
  ups.push(...s);
  await j.put('backends/killed', {
    servers: s.map((u, i) => ({ id: `s${i + 1}`, url: u.url })),
    retry: { attempts: 2, on: ['connect', 'reset'] },
  });
  await j.applied(await j.put('routes/killed', { match: { pathPrefix: '/killed/' }, backend: 'killed' }));

  const load = startLoad({ url: j.url, path: (i) => `/killed/${i}`, workers: 8 });
  // every server in rotation and taking load: each has served 100 requests
  await waitFor('each server to serve 100 requests', () => ['k1', 'k2', 'k3'].every((u) => (load.progress().upstreams[u] ?? 0) >= 100), 20_000, 5);
  const victim = s[1] as TestUpstream;
  const killedAt = load.progress();
  // the listener stops and every socket to it, idle or mid-request, is cut
  victim.server.close();
  victim.server.closeAllConnections();
  await waitFor('1,000 requests after the kill', () => load.progress().requests >= killedAt.requests + 1_000, 30_000, 5);
  const result = await load.stop();
  const afterKill = result.requests - killedAt.requests;

  const metrics = await metricsText(j.adminUrl);
  const errors = metrics.split('\n').filter((l) => l.startsWith('junction_upstream_errors_total{backend="killed"'));
  t.diagnostic(`killed k2 after ${killedAt.requests} requests; ${afterKill} requests after the kill`);
  t.diagnostic(`GET success rate ${pct(result.succeeded, result.requests)}: ${describeLoad(result)}`);
  t.diagnostic(`upstream errors seen by Junction: ${errors.join('; ') || 'none'}`);
  assert.ok(result.requests > 500 && afterKill > 200, `enough load (${result.requests}, ${afterKill} after the kill)`);
  assert.ok(result.successRate >= 0.999, `success rate ${pct(result.succeeded, result.requests)} >= 99.9%: ${describeLoad(result)}`);
  assert.ok((result.upstreams['k1'] ?? 0) > 0 && (result.upstreams['k3'] ?? 0) > 0, 'the survivors took the traffic');
});

test('a non-idempotent request is not retried; an idempotent one is', async () => {
  const alive = await startUpstream('alive', (req, res) => {
    res.writeHead(200, { 'x-upstream': 'alive' });
    res.end(req.method);
  });
  ups.push(alive);
  const dead = await freePort();
  await j.put('backends/half-dead', {
    servers: [
      { id: 'a-dead', url: `http://127.0.0.1:${dead}` },
      { id: 'b-alive', url: alive.url },
    ],
    retry: { attempts: 2, on: ['connect', 'reset'] },
  });
  await j.applied(await j.put('routes/half-dead', { match: { pathPrefix: '/half-dead/' }, backend: 'half-dead' }));

  // POSTs first (before passive detection can eject the dead server): the ones picked onto it fail
  const posts: number[] = [];
  for (let i = 0; i < 4; i++) posts.push((await get(`${j.url}/half-dead/p`, { method: 'POST', body: 'payload' })).status);
  assert.ok(posts.includes(502), `a POST that met the dead server was answered 502, not retried: ${posts.join(',')}`);
  assert.ok(posts.includes(200), `the others reached the live server: ${posts.join(',')}`);
  assert.equal(alive.seen.filter((r) => r.method === 'POST').length, posts.filter((s) => s === 200).length, 'no POST reached the live server twice');
  const gets: number[] = [];
  for (let i = 0; i < 20; i++) gets.push((await get(`${j.url}/half-dead/g`)).status);
  assert.deepEqual(gets.filter((s) => s !== 200), [], 'every GET succeeded: retried on the live server');
});

test('a status listed in retry.on is retried on another server; not for a POST', async () => {
  const s503 = await startUpstream('s503', (_req, res) => {
    res.writeHead(503, { 'x-upstream': 's503' });
    res.end('busy');
  });
  const ok = await startUpstream('ok', (_req, res) => {
    res.writeHead(200, { 'x-upstream': 'ok' });
    res.end('ok');
  });
  ups.push(s503, ok);
  await j.put('backends/busy', {
    servers: [
      { id: 'a', url: s503.url },
      { id: 'b', url: ok.url },
    ],
    retry: { attempts: 1, on: ['503'] },
    breaker: { volumeThreshold: 1000 },
  });
  await j.applied(await j.put('routes/busy', { match: { pathPrefix: '/busy/' }, backend: 'busy' }));
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push((await get(`${j.url}/busy/x`)).status);
  assert.deepEqual(statuses.filter((s) => s !== 200), [], `every GET was answered by the healthy server: ${statuses.join(',')}`);
  assert.ok(s503.seen.length >= 5, `the 503 server was tried (${s503.seen.length})`);
  const posts: number[] = [];
  for (let i = 0; i < 6; i++) posts.push((await get(`${j.url}/busy/x`, { method: 'POST', body: 'x' })).status);
  assert.ok(posts.includes(503), `a POST answered 503 is passed through, not retried: ${posts.join(',')}`);
});

/** A TCP server that accepts and immediately resets every connection, counting them. */
async function resetter(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    n++;
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.once('data', () => sock.resetAndDestroy());
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => n,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

test('retries never multiply an outage: with every server resetting, attempts stay within the retry budget', async (t) => {
  const rs = await Promise.all([resetter(), resetter(), resetter()]);
  try {
    await j.put('backends/outage', {
      servers: rs.map((r, i) => ({ id: `r${i}`, url: r.url })),
      retry: { attempts: 2, on: ['connect', 'reset'], budgetPercent: 20 },
    });
    await j.applied(await j.put('routes/outage', { match: { pathPrefix: '/outage/' }, backend: 'outage' }));
    const requests = 100;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < requests; i++) {
      const s = (await get(`${j.url}/outage/${i}`)).status;
      statuses[s] = (statuses[s] ?? 0) + 1;
    }
    const attempts = rs.reduce((n, r) => n + r.connections(), 0);
    t.diagnostic(`${requests} requests to a backend whose 3 servers all reset: ${attempts} upstream connections, answers ${JSON.stringify(statuses)}`);
    assert.equal((statuses[502] ?? 0) + (statuses[503] ?? 0), requests, 'every request failed cleanly with 502 or 503');
    // without a budget, 2 retries would make ~300 attempts; 20% of 100 requests allows ~20 retries
    assert.ok(attempts <= requests * 1.2 + 10, `${attempts} attempts for ${requests} requests: retries stayed within the budget`);
  } finally {
    for (const r of rs) await r.close();
  }
});

test('the retry budget caps retries at budgetPercent of recent requests', async (t) => {
  // Each server resets every other request it receives: never enough failures in a row for passive
  // ejection, and the breaker is set out of reach, so only the budget limits the retries.
  const flaky = await Promise.all(
    ['f1', 'f2', 'f3'].map((name) => {
      let n = 0;
      return startUpstream(name, (req, res) => {
        if (n++ % 2 === 1) return req.socket.resetAndDestroy();
        res.writeHead(200, { 'x-upstream': name });
        res.end(name);
      });
    }),
  );
  ups.push(...flaky);
  await j.put('backends/flaky', {
    servers: flaky.map((u, i) => ({ id: `f${i}`, url: u.url })),
    retry: { attempts: 2, on: ['reset'], budgetPercent: 10 },
    breaker: { volumeThreshold: 1_000_000 },
  });
  await j.applied(await j.put('routes/flaky', { match: { pathPrefix: '/flaky/' }, backend: 'flaky' }));
  const requests = 200;
  let ok = 0;
  for (let i = 0; i < requests; i++) if ((await get(`${j.url}/flaky/${i}`)).status === 200) ok++;
  // arrivals: startUpstream records a request once its body has ended, before the handler runs
  const attempts = flaky.reduce((n, u) => n + u.seen.length, 0);
  t.diagnostic(`${requests} requests, ${ok} succeeded, ${attempts} upstream attempts (${attempts - requests} retries; without a budget ~${Math.round(requests * 0.75)})`);
  assert.ok(ok > requests * 0.5, `retries within the budget helped (${ok} of ${requests} succeeded)`);
  assert.ok(attempts - requests <= requests * 0.1 + 20, `${attempts - requests} retries for ${requests} requests: within 10% (plus a small floor)`);
});
