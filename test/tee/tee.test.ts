import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { freePort } from '../support/etcd.js';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { burst } from '../canary/load.js';

let j: TestJunction;
let primary: TestUpstream;
let shadow: TestUpstream;
let shadowDelayMs = 0;
let shadowStatus = 200;
let shadowBody = 'same';
let deadPort: number;

before(async () => {
  primary = await startUpstream('primary', (req, res, body) => {
    res.setHeader('content-type', 'text/plain');
    res.end(req.method === 'POST' ? `got ${body.length}` : 'same');
  });
  shadow = await startUpstream('shadow', (_req, res) => {
    setTimeout(() => {
      res.statusCode = shadowStatus;
      res.setHeader('content-type', 'text/plain');
      res.end(shadowBody);
    }, shadowDelayMs);
  });
  deadPort = await freePort();
  j = await startTestJunction();
  await j.put('backends/primary', { servers: [{ id: 'p', url: primary.url }] });
  await j.put('backends/shadow', { servers: [{ id: 's', url: shadow.url }] });
  await j.applied(await j.put('backends/dead', { servers: [{ id: 'd', url: `http://127.0.0.1:${deadPort}` }] }));
});

after(async () => {
  await j?.stop();
  await primary?.close();
  await shadow?.close();
});

async function route(tee: Record<string, unknown>[]): Promise<void> {
  shadow.seen.length = 0;
  primary.seen.length = 0;
  await j.applied(await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'primary', tee }));
}

async function teeReport(backend = 'shadow'): Promise<any> {
  const s = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as { tee: any[] };
  return s.tee.find((t) => t.route === 'r' && t.backend === backend);
}

test('a copy carries x-junction-shadow: 1 and the primary request id; header edits apply to the copy only', async () => {
  await route([{ backend: 'shadow', headers: { set: { 'x-env': 'shadow' }, remove: ['authorization'] } }]);
  const r = await get(`${j.url}/a?b=1`, { headers: { authorization: 'Bearer secret', 'x-request-id': 'rid-42' } });
  assert.equal(r.status, 200);
  await waitFor('the copy', () => shadow.seen.length === 1);
  const copy = shadow.seen[0];
  assert.equal(copy?.url, '/a?b=1');
  assert.equal(copy?.headers['x-junction-shadow'], '1');
  assert.equal(copy?.headers['x-request-id'], 'rid-42');
  assert.equal(copy?.headers['x-env'], 'shadow');
  assert.equal(copy?.headers.authorization, undefined);
  const original = primary.seen[0];
  assert.equal(original?.headers.authorization, 'Bearer secret');
  assert.equal(original?.headers['x-junction-shadow'], undefined);
  assert.equal(original?.headers['x-env'], undefined);
  await waitFor('completed', async () => (await teeReport()).completed === 1);
});

test('a slow shadow (seconds) does not slow the primary', async () => {
  await route([{ backend: 'shadow', timeoutMs: 10_000 }]);
  shadowDelayMs = 2000;
  try {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      assert.equal((await get(`${j.url}/slow`)).status, 200);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    assert.ok((times[18] ?? Infinity) < 500, `primary p95 ${times[18]} ms while the shadow takes 2000 ms`);
    const rep = await teeReport();
    assert.equal(rep.sent, 20);
    assert.ok(rep.inFlight > 0, 'the copies are still in flight after the primaries finished');
  } finally {
    shadowDelayMs = 0;
  }
});

test('a dead shadow changes neither the primary status nor its latency; failures open the shadow breaker', async () => {
  await route([{ backend: 'dead' }]);
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    const t0 = performance.now();
    assert.equal((await get(`${j.url}/dead`)).status, 200);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  assert.ok((times[38] ?? Infinity) < 500, `primary p95 ${times[38]} ms`);
  const rep = await waitFor('failures counted', async () => {
    const r = await teeReport('dead');
    return r.failed + r.dropped.breaker === 40 ? r : undefined;
  });
  assert.ok(rep.failed >= 10, `failed ${rep.failed}`);
  assert.ok(rep.dropped.breaker > 0, 'the breaker opened and dropped copies');
  assert.equal(rep.breakerOpen, true);
  const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /junction_tee_requests_total\{route="r",backend="dead",outcome="dropped_breaker"\} [1-9]/);
});

test('writes are not mirrored unless listed; listed, the copy gets the whole body', async () => {
  await route([{ backend: 'shadow' }]);
  const body = Buffer.alloc(50_000, 'x');
  assert.equal((await get(`${j.url}/w`, { method: 'POST', body })).text, 'got 50000');
  assert.equal((await teeReport()).skipped.method, 1);
  assert.equal(shadow.seen.length, 0);

  await route([{ backend: 'shadow', methods: ['GET', 'POST'] }]);
  assert.equal((await get(`${j.url}/w`, { method: 'POST', body })).text, 'got 50000');
  await waitFor('the copy', () => shadow.seen.length === 1);
  assert.equal(shadow.seen[0]?.method, 'POST');
  assert.equal(shadow.seen[0]?.body.length, 50_000);
});

test('a body over maxBodyBytes is not mirrored (counted) while the primary gets all of it', async () => {
  await route([{ backend: 'shadow', methods: ['POST'], maxBodyBytes: 1000 }]);
  assert.equal((await get(`${j.url}/big`, { method: 'POST', body: Buffer.alloc(5000, 'y') })).text, 'got 5000');
  // chunked: the size is only known while streaming; the copy is abandoned, the primary is not
  const { Readable } = await import('node:stream');
  const chunks = Readable.from([Buffer.alloc(600), Buffer.alloc(600), Buffer.alloc(600)]);
  const r = await request(`${j.url}/big`, { method: 'POST', body: chunks });
  assert.equal(await r.body.text(), 'got 1800');
  const rep = await waitFor('both skipped', async () => {
    const x = await teeReport();
    return x.skipped.body === 2 && x.inFlight === 0 ? x : undefined;
  });
  assert.equal(rep.completed, 0);
  assert.equal(shadow.seen.length, 0, 'no oversized copy reached the shadow whole');
});

test('maxInFlight and maxRps drop copies and count them', async () => {
  await route([{ backend: 'shadow', maxInFlight: 2, timeoutMs: 10_000 }]);
  shadowDelayMs = 1000;
  try {
    for (let i = 0; i < 6; i++) assert.equal((await get(`${j.url}/cap`)).status, 200);
    const rep = await teeReport();
    assert.equal(rep.sent, 2);
    assert.equal(rep.dropped.inflight, 4);
  } finally {
    shadowDelayMs = 0;
  }
  await route([{ backend: 'shadow', maxRps: 5 }]);
  for (let i = 0; i < 20; i++) await get(`${j.url}/rate`);
  const rep = await teeReport();
  assert.ok(rep.sent >= 5 && rep.sent <= 8, `about one second's worth sent, got ${rep.sent}`);
  assert.equal(rep.sent + rep.dropped.rate, 20);
});

test('percent samples exactly (counter), sampleKey mirrors the same users; the shadow never sees an excluded request', async () => {
  await route([{ backend: 'shadow', percent: 10 }]);
  await burst(`${j.url}/p`, 1000, (i) => ({ 'x-request-id': `req-${i}` }));
  let rep = await waitFor('all copies done', async () => {
    const x = await teeReport();
    return x.completed === 100 ? x : undefined;
  });
  assert.equal(rep.sent, 100);
  assert.equal(rep.skipped.sample, 900);
  assert.equal(rep.achievedPercent, 10);
  assert.equal(rep.intendedPercent, 10);

  await route([{ backend: 'shadow', percent: 20, sampleKey: 'header:x-user-id' }]);
  const users = Array.from({ length: 500 }, (_, i) => `u${i}`);
  await burst(`${j.url}/k`, users.length, (i) => ({ 'x-user-id': users[i] as string }));
  await waitFor('copies done', async () => (await teeReport()).inFlight === 0);
  const mirrored = new Set(shadow.seen.map((s) => s.headers['x-user-id'] as string));
  assert.ok(Math.abs(mirrored.size - 100) <= 40, `~20% of users mirrored, got ${mirrored.size}`);
  shadow.seen.length = 0;
  await burst(`${j.url}/k`, users.length, (i) => ({ 'x-user-id': users[i] as string }));
  await waitFor('copies done', async () => (await teeReport()).inFlight === 0);
  const again = new Set(shadow.seen.map((s) => s.headers['x-user-id'] as string));
  assert.deepEqual([...again].sort(), [...mirrored].sort(), 'the same users are mirrored, and only them');
  rep = await teeReport();
  assert.equal(rep.sent, 2 * mirrored.size);
});

test('compare mode counts matches and a deliberate mismatch, with samples in the status', async () => {
  await route([{ backend: 'shadow', compare: true, compareHeaders: ['content-type'] }]);
  for (let i = 0; i < 5; i++) await get(`${j.url}/cmp`);
  await waitFor('5 matches', async () => (await teeReport()).compare.matches === 5);
  shadowBody = 'different';
  shadowStatus = 404;
  try {
    await get(`${j.url}/cmp?x=1`, { headers: { 'x-request-id': 'mismatch-1' } });
    const rep = await waitFor('a mismatch', async () => {
      const x = await teeReport();
      return x.compare.mismatches === 1 ? x : undefined;
    });
    assert.equal(rep.compare.matchRate, 5 / 6);
    const sample = rep.compare.recentMismatches[0];
    assert.equal(sample.requestId, 'mismatch-1');
    assert.deepEqual(sample.status, { primary: 200, shadow: 404 });
    assert.equal(sample.bodyDiffers, true);
    assert.equal(sample.url, '/cmp?x=1');
    const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
    assert.match(metrics, /junction_tee_compare_total\{route="r",backend="shadow",result="match"\} 5/);
    assert.match(metrics, /junction_tee_compare_total\{route="r",backend="shadow",result="mismatch"\} 1/);
  } finally {
    shadowBody = 'same';
    shadowStatus = 200;
  }
});

test('a route change that leaves its tee alone keeps the tee counts and its open breaker; changing the tee starts afresh', async () => {
  const tee = { backend: 'dead', timeoutMs: 1234 };
  await route([tee]);
  for (let i = 0; i < 40; i++) assert.equal((await get(`${j.url}/keep`)).status, 200);
  const before = await waitFor('failures counted', async () => {
    const r = await teeReport('dead');
    return r.failed + r.dropped.breaker === 40 && r.breakerOpen ? r : undefined;
  });
  // same tee, different route document (a match change)
  await j.applied(await j.put('routes/r', { match: { pathPrefix: '/', methods: ['GET', 'HEAD', 'POST'] }, backend: 'primary', tee: [tee] }));
  const kept = await teeReport('dead');
  assert.equal(kept.failed, before.failed);
  assert.equal(kept.dropped.breaker, before.dropped.breaker);
  assert.equal(kept.breakerOpen, true, 'the shadow breaker stays open across the change');
  assert.equal((await get(`${j.url}/keep`)).status, 200);
  assert.equal((await teeReport('dead')).dropped.breaker, before.dropped.breaker + 1, 'the next copy is dropped by the same breaker');
  // the tee itself changes: fresh counts and a closed breaker
  await route([{ ...tee, timeoutMs: 1235 }]);
  const fresh = await teeReport('dead');
  assert.equal(fresh.failed + fresh.dropped.breaker, 0);
  assert.equal(fresh.breakerOpen, false);
});
