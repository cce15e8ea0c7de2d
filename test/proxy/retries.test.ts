import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { freePort } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

let j: TestJunction;
let good: TestUpstream;
let flaky: TestUpstream;
let deadUrl: string;

before(async () => {
  good = await startUpstream('good', (_req, res) => res.end('good'));
  flaky = await startUpstream('flaky', (_req, res) => {
    res.statusCode = 503;
    res.end('flaky');
  });
  deadUrl = `http://127.0.0.1:${await freePort()}`;
  j = await startTestJunction();
});

after(async () => {
  await j?.stop();
  await good?.close();
  await flaky?.close();
});

// Each test gets a backend of its own: health, breakers and retry budgets are per backend and
// (by design) outlive configuration changes.
let b = 'b0';
let n = 0;
async function backend(doc: Record<string, unknown>): Promise<void> {
  b = `b${++n}`;
  await j.put(`backends/${b}`, doc);
  await j.applied(await j.put('routes/r', { match: { pathPrefix: '/' }, backend: b }));
}

async function upstreamErrors(): Promise<number> {
  const m = await (await request(`${j.adminUrl}/metrics`)).body.text();
  return [...m.matchAll(new RegExp(`junction_upstream_errors_total\\{backend="${b}",kind="connect"\\} (\\d+)`, 'g'))].reduce((acc, x) => acc + Number(x[1]), 0);
}

test('a refused connection is retried on another server (default retry: 1 attempt on connect)', async () => {
  await backend({ servers: [{ id: 'dead', url: deadUrl }, { id: 'good', url: good.url }] });
  for (let i = 0; i < 10; i++) {
    const r = await get(`${j.url}/x`);
    assert.equal(r.status, 200, `request ${i}: ${r.text}`);
    assert.equal(r.text, 'good');
  }
});

test('a request with a body is never retried', async () => {
  await backend({ balancer: 'round-robin', servers: [{ id: 'dead', url: deadUrl }, { id: 'good', url: good.url }], breaker: { volumeThreshold: 1000 } });
  const codes = new Set<number>();
  for (let i = 0; i < 4; i++) codes.add((await get(`${j.url}/x`, { method: 'POST', body: 'payload' })).status);
  assert.ok(codes.has(502), 'a POST that drew the dead server fails with 502');
  assert.ok(codes.has(200));
});

test('listed statuses are retried on another server; the client sees only the good answer', async () => {
  await backend({
    servers: [{ id: 'flaky', url: flaky.url }, { id: 'good', url: good.url }],
    retry: { attempts: 1, on: ['503'] },
    breaker: { volumeThreshold: 1000 },
  });
  for (let i = 0; i < 6; i++) assert.equal((await get(`${j.url}/y`)).text, 'good');
  await backend({ servers: [{ id: 'flaky', url: flaky.url }, { id: 'good', url: good.url }], retry: { attempts: 0 }, breaker: { volumeThreshold: 1000 } });
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add((await get(`${j.url}/y`)).text);
  assert.deepEqual([...seen].sort(), ['flaky', 'good'], 'without retries the 503 passes through');
});

test('the retry budget caps retries: with 0% only the minimum of 10 retries fits in the 10 s window', async () => {
  await backend({
    servers: [{ id: 'flaky', url: flaky.url }, { id: 'good', url: good.url }],
    retry: { attempts: 1, on: ['503'], budgetPercent: 0 },
    breaker: { volumeThreshold: 1000 },
  });
  let flakyAnswers = 0;
  for (let i = 0; i < 30; i++) if ((await get(`${j.url}/z`)).text === 'flaky') flakyAnswers++;
  // 15 of 30 draws hit flaky first; 10 of them were retried, 5 passed through
  assert.equal(flakyAnswers, 5);
});

test('passive ejection: consecutive connect failures take a server out, so it stops costing retries', async () => {
  await backend({
    servers: [{ id: 'dead', url: deadUrl }, { id: 'good', url: good.url }],
    retry: { attempts: 1, on: ['connect'], budgetPercent: 100 },
    breaker: { volumeThreshold: 1000 },
  });
  const before = await upstreamErrors();
  for (let i = 0; i < 40; i++) assert.equal((await get(`${j.url}/e`)).status, 200);
  const errors = (await upstreamErrors()) - before;
  assert.equal(errors, 5, 'five connect failures in a row ejected the dead server; no more were tried');
  const st = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as { servers: Array<{ backend: string; server: string; healthy: boolean; ejected: boolean }> };
  const dead = st.servers.find((s) => s.backend === b && s.server === 'dead');
  assert.equal(dead?.ejected, true);
  assert.equal(dead?.healthy, false);
  const m = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(m, new RegExp(`junction_server_healthy\\{backend="${b}",server="dead"\\} 0`));
  assert.match(m, new RegExp(`junction_server_healthy\\{backend="${b}",server="good"\\} 1`));
});

test('clients that give up mid-request never count against the server', async () => {
  const slow = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('late'), 300));
  try {
    await backend({ servers: [{ id: 'slow', url: slow.url }], breaker: { volumeThreshold: 2 } });
    for (let i = 0; i < 12; i++) {
      // give up only once the upstream has the request: mid-request, not before it was forwarded
      const seen = slow.seen.length;
      const ac = new AbortController();
      const p = request(`${j.url}/abort`, { signal: ac.signal }).catch(() => undefined);
      await waitFor(`request ${i} to reach the upstream`, () => slow.seen.length > seen, 5000, 2);
      ac.abort();
      await p;
    }
    // Junction settles the attempt (for the breaker) before it records the 499: once all 12 are
    // recorded, the breaker has seen every one of them
    await waitFor('the 12 abandoned requests to be recorded as 499', async () => {
      const m = await (await request(`${j.adminUrl}/metrics`)).body.text();
      return new RegExp(`junction_http_requests_total\\{route="r",backend="${b}",code="499"\\} 12\n`).test(m);
    }, 5000);
    const st = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as { servers: Array<{ backend: string; healthy: boolean; breaker: string }> };
    const srv = st.servers.find((x) => x.backend === b);
    assert.equal(srv?.healthy, true);
    assert.equal(srv?.breaker, 'closed');
    assert.equal((await get(`${j.url}/after`)).text, 'late');
  } finally {
    await slow.close();
  }
});

test('an open breaker takes a server out of rotation: 503 no_server only when none is left', async () => {
  await backend({
    servers: [{ id: 'flaky', url: flaky.url }],
    retry: { attempts: 0 },
    breaker: { errorThresholdPercentage: 50, volumeThreshold: 4, resetTimeoutMs: 60_000, windowMs: 10_000 },
  });
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await get(`${j.url}/b`)).status);
  assert.deepEqual(codes.slice(0, 4), [503, 503, 503, 503]);
  const last = await get(`${j.url}/b`);
  assert.equal(last.status, 503);
  assert.equal(last.json().error, 'no_server', 'the breaker is open: Junction answers, the server is not called');
  const m = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(m, new RegExp(`junction_breaker_open\\{backend="${b}",server="flaky"\\} 1`));
});
