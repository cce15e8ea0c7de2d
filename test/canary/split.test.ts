import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { burst, tally } from './load.js';

let j: TestJunction;
let stable: TestUpstream;
let canary: TestUpstream;
let failing = false;

const route = (split: Array<[string, number]>, extra: Record<string, unknown> = {}) => ({
  match: { pathPrefix: '/' },
  split: split.map(([backend, weight]) => ({ backend, weight })),
  ...extra,
});

before(async () => {
  stable = await startUpstream('stable', (_req, res) => res.end('stable'));
  canary = await startUpstream('canary', (_req, res) => {
    res.statusCode = failing ? 500 : 200;
    res.end('canary');
  });
  j = await startTestJunction();
  await j.put('backends/stable', { servers: [{ id: 's', url: stable.url }] });
  // These tests are about the canary guard alone: the canary server's own breaker stays out of the way.
  await j.put('backends/canary', { servers: [{ id: 'c', url: canary.url }], breaker: { volumeThreshold: 1_000_000 } });
});

after(async () => {
  await j?.stop();
  await stable?.close();
  await canary?.close();
});

async function setRoute(doc: unknown): Promise<void> {
  await j.applied(await j.put('routes/r', doc));
}

test('90/10 over 10,000 requests is exactly 9,000/1,000 (smooth weighted round-robin), and 9/1 in every 10', async () => {
  await setRoute(route([['stable', 90], ['canary', 10]]));
  const answers = await burst(j.url + '/', 10_000);
  assert.deepEqual(tally(answers), { stable: 9000, canary: 1000 });
  // smooth: one request at a time, the canary's requests are spread out, never bunched
  const sequence = (await burst(j.url + '/', 200, () => ({}), 1)).map((a) => a.upstream);
  for (let i = 0; i + 10 <= sequence.length; i += 10) {
    assert.equal(sequence.slice(i, i + 10).filter((u) => u === 'canary').length, 1, `window at ${i}`);
  }
});

test('99/1 over 10,000 requests is exactly 9,900/100', async () => {
  await setRoute(route([['stable', 99], ['canary', 1]]));
  const answers = await burst(j.url + '/', 10_000);
  assert.deepEqual(tally(answers), { stable: 9900, canary: 100 });
});

test('weight 0 gets nothing unless forced; force pins by header or cookie; an unknown name is ignored and counted', async () => {
  await setRoute(route([['stable', 100], ['canary', 0]], { force: { header: 'x-junction-backend', cookie: 'junction_backend' } }));
  assert.deepEqual(tally(await burst(j.url + '/', 200)), { stable: 200 });
  assert.deepEqual(tally(await burst(j.url + '/', 50, () => ({ 'x-junction-backend': 'canary' }))), { canary: 50 });
  assert.deepEqual(tally(await burst(j.url + '/', 50, () => ({ cookie: 'a=1; junction_backend=canary' }))), { canary: 50 });
  assert.deepEqual(tally(await burst(j.url + '/', 30, () => ({ 'x-junction-backend': 'nope' }))), { stable: 30 });
  const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /junction_canary_force_ignored_total\{route="r"\} 30/);
});

test('sticky cookie: a client keeps the side it drew; raising the weight never moves a canary client back', async () => {
  await setRoute(route([['stable', 90], ['canary', 10]], { sticky: { cookie: 'junction_canary' } }));
  const first = await burst(j.url + '/', 1000);
  const cookies = first.map((a) => {
    assert.ok(a.setCookie, 'a client without the cookie gets one');
    assert.match(a.setCookie, /^junction_canary=(stable|canary); Path=\/; HttpOnly; SameSite=Lax$/);
    return a.setCookie.split(';')[0] as string;
  });
  const sides = first.map((a) => a.upstream);
  assert.deepEqual(tally(first), { stable: 900, canary: 100 });
  for (let round = 0; round < 3; round++) {
    const again = await burst(j.url + '/', 1000, (i) => ({ cookie: cookies[i] as string }));
    again.forEach((a, i) => {
      assert.equal(a.upstream, sides[i], `client ${i} stays on ${sides[i]}`);
      assert.equal(a.setCookie, undefined, 'no new cookie while the pin holds');
    });
  }
  await setRoute(route([['stable', 50], ['canary', 50]], { sticky: { cookie: 'junction_canary' } }));
  const after = await burst(j.url + '/', 1000, (i) => ({ cookie: cookies[i] as string }));
  after.forEach((a, i) => assert.equal(a.upstream, sides[i], `client ${i} keeps its side after the weight change`));
});

test('a sticky cookie naming a backend no longer in the split gets a fresh draw and a new cookie', async () => {
  await setRoute(route([['stable', 1], ['canary', 1]], { sticky: { cookie: 'junction_canary' } }));
  const r = await burst(j.url + '/', 10, () => ({ cookie: 'junction_canary=retired-v0' }));
  assert.deepEqual(tally(r), { stable: 5, canary: 5 });
  for (const a of r) assert.match(a.setCookie ?? '', new RegExp(`^junction_canary=${a.upstream};`));
});

test('sticky header: a user always lands on one side; 5% -> 25% moves users only onto the canary', async () => {
  const users = Array.from({ length: 4000 }, (_, i) => `user-${i * 7919}`);
  const sides = async () =>
    (await burst(j.url + '/', users.length, (i) => ({ 'x-user-id': users[i] as string }))).map((a) => a.upstream);
  await setRoute(route([['stable', 95], ['canary', 5]], { sticky: { header: 'x-user-id' } }));
  const at5 = await sides();
  assert.deepEqual(await sides(), at5, 'the same users land on the same sides again');
  const canary5 = at5.filter((s) => s === 'canary').length;
  // hashing, not counting: 5% of 4,000 = 200, binomial sd ~ 14; allow 4 sd
  assert.ok(Math.abs(canary5 - 200) <= 56, `~5% on the canary, got ${canary5}`);

  await setRoute(route([['stable', 75], ['canary', 25]], { sticky: { header: 'x-user-id' } }));
  const at25 = await sides();
  at5.forEach((side, i) => {
    if (side === 'canary') assert.equal(at25[i], 'canary', `${users[i]} was on the canary and must stay there`);
  });
  const canary25 = at25.filter((s) => s === 'canary').length;
  assert.ok(Math.abs(canary25 - 1000) <= 110, `~25% on the canary, got ${canary25}`);

  // without the header: a weighted draw
  assert.deepEqual(tally(await burst(j.url + '/', 400)), { stable: 300, canary: 100 });
});

test('guard: a failing canary trips after exactly minRequests, gets no more non-forced traffic, and resets when the route changes', async () => {
  const guard = { maxErrorRate: 0.5, minRequests: 20, windowMs: 60_000 };
  const doc = route([['stable', 50], ['canary', 50]], { guard, force: { header: 'x-junction-backend' } });
  await setRoute(doc);
  failing = true;
  try {
    // sequential, so the count of canary requests before the trip is exact
    const seen: string[] = [];
    for (let i = 0; i < 60; i++) seen.push(((await burst(j.url + '/', 1, () => ({}), 1))[0] as { upstream: string }).upstream);
    const canaryHits = seen.filter((s) => s === 'canary').length;
    assert.equal(canaryHits, 20, 'the guard tripped on the 20th failing canary request, not before, not after');
    assert.deepEqual(seen.slice(40), new Array(20).fill('stable'), 'after the trip, everything goes to stable');

    const status = (await (await request(`${j.adminUrl}/api/v1/status`)).body.json()) as {
      canary: { guards: Array<{ route: string; backend: string; tripped: boolean; requests: number; errors: number }> };
    };
    const g = status.canary.guards.find((x) => x.backend === 'canary');
    assert.equal(g?.tripped, true);
    assert.equal(g?.errors, 20);
    assert.equal(status.canary.guards.find((x) => x.backend === 'stable')?.tripped, false);
    let metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
    assert.match(metrics, /junction_canary_guard_tripped\{route="r",backend="canary"\} 1/);
    assert.match(metrics, /junction_canary_guard_tripped\{route="r",backend="stable"\} 0/);

    // forced traffic still reaches the tripped canary (testers can look at it)
    assert.deepEqual(tally(await burst(j.url + '/', 5, () => ({ 'x-junction-backend': 'canary' }))), { canary: 5 });

    // an operator writes the route again: fresh guards, the canary takes traffic again
    failing = false;
    await setRoute({ ...doc });
    metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
    assert.match(metrics, /junction_canary_guard_tripped\{route="r",backend="canary"\} 0/);
    assert.deepEqual(tally(await burst(j.url + '/', 10)), { stable: 5, canary: 5 });
  } finally {
    failing = false;
  }
});

test('guard: never trips on a healthy canary, nor below minRequests, nor at an error rate at the limit', async () => {
  await setRoute(route([['stable', 50], ['canary', 50]], { guard: { maxErrorRate: 0.5, minRequests: 1000, windowMs: 60_000 } }));
  failing = true;
  try {
    // 400 canary requests, all failing, but fewer than minRequests
    assert.deepEqual(tally(await burst(j.url + '/', 800)), { stable: 400, canary: 400 });
  } finally {
    failing = false;
  }
  await setRoute(route([['stable', 50], ['canary', 50]], { guard: { maxErrorRate: 0.01, minRequests: 10, windowMs: 60_000 } }));
  assert.deepEqual(tally(await burst(j.url + '/', 2000)), { stable: 1000, canary: 1000 });
  const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
  assert.match(metrics, /junction_canary_guard_tripped\{route="r",backend="canary"\} 0/);
});

test('a tripped guard on every weighted backend stands aside rather than leave the route nowhere to go', async () => {
  await setRoute(route([['canary', 1]], { guard: { maxErrorRate: 0.1, minRequests: 5, windowMs: 60_000 } }));
  failing = true;
  try {
    const r = await burst(j.url + '/', 30, () => ({}), 1);
    assert.deepEqual(tally(r), { canary: 30 });
  } finally {
    failing = false;
  }
});
