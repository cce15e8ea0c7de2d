import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { metric } from './helpers.js';

// One breaker per upstream server (opossum, BackendSpec.breaker): a server answering 5xx trips its
// breaker, the balancer skips it, and after resetTimeoutMs a half-open probe brings it back once it
// has recovered. `junction_breaker_open{backend,server}` shows the state.

const BREAKER = { errorThresholdPercentage: 50, volumeThreshold: 10, resetTimeoutMs: 2000, windowMs: 10000 };

let j: TestJunction;
const ups: TestUpstream[] = [];
const failing = new Set<string>();

function upstream(name: string): Promise<TestUpstream> {
  return startUpstream(name, (_req, res) => {
    const status = failing.has(name) ? 500 : 200;
    res.writeHead(status, { 'content-type': 'text/plain', 'x-upstream': name });
    res.end(name);
  });
}

before(async () => {
  j = await startTestJunction();
});

after(async () => {
  await j?.stop();
  for (const u of ups) await u.close();
});

test('a server answering 500s trips its breaker, traffic moves to the others, and a half-open probe brings it back', async (t) => {
  const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(upstream));
  ups.push(a!, b!, c!);
  await j.put('backends/br', { servers: [a!, b!, c!].map((u) => ({ id: u.name, url: u.url })), breaker: BREAKER });
  await j.applied(await j.put('routes/br', { match: { pathPrefix: '/br/' }, backend: 'br' }));
  const open = () => metric(j.adminUrl, 'junction_breaker_open', { backend: 'br', server: 'c' });
  assert.equal(await open(), 0, 'closed to begin with');

  failing.add('c');
  const started = Date.now();
  let sent = 0;
  let errors = 0;
  let trippedAt = 0;
  while (Date.now() - started < 10_000) {
    const r = await get(`${j.url}/br/x`);
    sent++;
    if (r.status !== 200) errors++;
    if (sent % 3 === 0 && (await open()) === 1) {
      trippedAt = Date.now();
      break;
    }
  }
  const cHits = c!.seen.length;
  t.diagnostic(`breaker of c opened after ${trippedAt - started} ms, ${sent} requests, ${cHits} of them to c, ${errors} 500s seen by clients`);
  assert.ok(trippedAt > 0, 'the breaker opened within 10 s');
  assert.ok(cHits >= BREAKER.volumeThreshold, `not before volumeThreshold requests reached c (${cHits})`);
  assert.ok(cHits <= BREAKER.volumeThreshold + 6, `soon after volumeThreshold (${cHits} requests reached c)`);

  // open: c gets nothing, the others everything, until resetTimeoutMs has passed
  const statuses: number[] = [];
  for (let i = 0; i < 60; i++) statuses.push((await get(`${j.url}/br/x`)).status);
  assert.deepEqual(statuses.filter((s) => s !== 200), [], 'with its breaker open, c is skipped: every request succeeds');
  assert.equal(c!.seen.length, cHits, 'no request reached c while its breaker was open');
  assert.ok(Date.now() - trippedAt < BREAKER.resetTimeoutMs, 'that was checked within the open period');

  // c recovers; after resetTimeoutMs one probe goes to it, succeeds, and closes the breaker
  failing.delete('c');
  const closed = await waitFor(
    'the breaker to close again',
    async () => {
      await get(`${j.url}/br/x`);
      return (await open()) === 0 ? Date.now() : undefined;
    },
    10_000,
    50,
  );
  t.diagnostic(`breaker closed again ${closed - trippedAt} ms after it opened (resetTimeoutMs ${BREAKER.resetTimeoutMs})`);
  assert.ok(closed - trippedAt >= BREAKER.resetTimeoutMs - 100, 'not before resetTimeoutMs');
  const before = c!.seen.length;
  for (let i = 0; i < 30; i++) assert.equal((await get(`${j.url}/br/x`)).status, 200);
  assert.ok(c!.seen.length - before >= 5, `c takes its share again (${c!.seen.length - before} of 30)`);
});

test('a half-open probe that fails opens the breaker again', async () => {
  const [d, e] = await Promise.all(['d', 'e'].map(upstream));
  ups.push(d!, e!);
  await j.put('backends/br2', { servers: [d!, e!].map((u) => ({ id: u.name, url: u.url })), breaker: BREAKER });
  await j.applied(await j.put('routes/br2', { match: { pathPrefix: '/br2/' }, backend: 'br2' }));
  const open = () => metric(j.adminUrl, 'junction_breaker_open', { backend: 'br2', server: 'e' });
  failing.add('e');
  await waitFor('e to trip', async () => {
    await get(`${j.url}/br2/x`);
    return (await open()) === 1;
  }, 10_000, 5);
  const hits = e!.seen.length;
  // after resetTimeoutMs the breaker lets one probe through: the status shows it half-open
  await waitFor('e half-open', async () => {
    const st = (await (await fetch(`${j.adminUrl}/api/v1/status`)).json()) as { servers: Array<{ backend: string; server: string; breaker: string | null }> };
    return st.servers.find((x) => x.backend === 'br2' && x.server === 'e')?.breaker === 'half-open';
  }, BREAKER.resetTimeoutMs + 5_000, 20);
  // still failing: the probe fails, the breaker opens again, the client of the probe sees the 500
  for (let i = 0; i < 20; i++) await get(`${j.url}/br2/x`);
  assert.ok(e!.seen.length - hits >= 1 && e!.seen.length - hits <= 2, `one probe (maybe two) reached e (${e!.seen.length - hits})`);
  assert.equal(await open(), 1, 'open again after the failed probe');
  failing.delete('e');
});

test('when every server has an open breaker: 503 no_server', async () => {
  const [f, g] = await Promise.all(['f', 'g'].map(upstream));
  ups.push(f!, g!);
  failing.add('f');
  failing.add('g');
  await j.put('backends/br3', { servers: [f!, g!].map((u) => ({ id: u.name, url: u.url })), breaker: BREAKER });
  await j.applied(await j.put('routes/br3', { match: { pathPrefix: '/br3/' }, backend: 'br3' }));
  const r = await waitFor('503 no_server', async () => {
    const res = await get(`${j.url}/br3/x`);
    return res.status === 503 ? res : undefined;
  }, 10_000, 5);
  assert.equal(r.json().error, 'no_server');
  assert.equal(await metric(j.adminUrl, 'junction_breaker_open', { backend: 'br3', server: 'f' }), 1);
  assert.equal(await metric(j.adminUrl, 'junction_breaker_open', { backend: 'br3', server: 'g' }), 1);
  const hits = f!.seen.length + g!.seen.length;
  for (let i = 0; i < 10; i++) assert.equal((await get(`${j.url}/br3/x`)).status, 503);
  assert.equal(f!.seen.length + g!.seen.length, hits, 'nothing reaches servers whose breakers are open');
  failing.delete('f');
  failing.delete('g');
});

test('4xx answers do not count as failures', async () => {
  const h = await startUpstream('h', (_req, res) => {
    res.writeHead(404, { 'x-upstream': 'h' });
    res.end('nope');
  });
  ups.push(h);
  await j.put('backends/br4', { servers: [{ id: 'h', url: h.url }], breaker: BREAKER });
  await j.applied(await j.put('routes/br4', { match: { pathPrefix: '/br4/' }, backend: 'br4' }));
  for (let i = 0; i < 40; i++) assert.equal((await get(`${j.url}/br4/x`)).status, 404);
  assert.equal(await metric(j.adminUrl, 'junction_breaker_open', { backend: 'br4', server: 'h' }), 0);
});
