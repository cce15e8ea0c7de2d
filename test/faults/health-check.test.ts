import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { describeLoad, startLoad } from '../support/load.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { metric } from './helpers.js';

// Active health checks (BackendSpec.healthCheck): a server whose check fails `unhealthy` times in
// a row is taken out of rotation (`junction_server_healthy` 0) and put back after `healthy`
// successes; no client request reaches it meanwhile, and clients see no failure at all.

const HC = { path: '/healthz', intervalMs: 200, timeoutMs: 100, healthy: 2, unhealthy: 2 };

type Mode = 'ok' | 'fail' | 'hang';
const mode = new Map<string, Mode>();
/** arrival times of client (non-health-check) requests, per server */
const hits = new Map<string, number[]>();
let j: TestJunction;
const ups: TestUpstream[] = [];

function upstream(name: string): Promise<TestUpstream> {
  hits.set(name, []);
  return startUpstream(name, (req, res) => {
    if (req.url === HC.path) {
      const m = mode.get(name) ?? 'ok';
      if (m === 'hang') return; // never answers: the check times out
      res.writeHead(m === 'ok' ? 200 : 503);
      return res.end(m);
    }
    hits.get(name)?.push(Date.now());
    res.writeHead(200, { 'x-upstream': name });
    res.end(name);
  });
}

before(async () => {
  ups.push(...(await Promise.all(['a', 'b', 'c'].map(upstream))));
  j = await startTestJunction();
  await j.put('backends/hc', { servers: ups.map((u) => ({ id: u.name, url: u.url })), healthCheck: HC });
  await j.applied(await j.put('routes/hc', { match: { pathPrefix: '/hc/' }, backend: 'hc' }));
});

after(async () => {
  await j?.stop();
  for (const u of ups) {
    u.server.closeAllConnections();
    await u.close();
  }
});

const healthy = (server: string) => metric(j.adminUrl, 'junction_server_healthy', { backend: 'hc', server });

/** Takes c out with `failure`, checks nobody reaches it, puts it back; returns the timings. */
async function outAndBack(failure: Mode): Promise<{ outMs: number; backMs: number; leaked: number; during: number }> {
  await waitFor('c healthy', async () => (await healthy('c')) === 1, 5_000);
  const sickAt = Date.now();
  mode.set('c', failure);
  const outAt = await waitFor('c taken out', async () => ((await healthy('c')) === 0 ? Date.now() : undefined), 5_000, 10);
  // load goes on while c is out: long enough for a and b to serve 100 requests
  const servedByOthers = () => ['a', 'b'].reduce((n, s) => n + (hits.get(s) ?? []).filter((t) => t > outAt + 10).length, 0);
  await waitFor('a and b to serve 100 requests while c is out', () => servedByOthers() >= 100, 10_000, 10);
  const recoverAt = Date.now();
  // 10 ms after the metric said 0 (the poll interval), until the check recovers: nothing may reach c
  const leaked = (hits.get('c') ?? []).filter((t) => t > outAt + 10 && t < recoverAt).length;
  const during = ['a', 'b'].reduce((n, s) => n + (hits.get(s) ?? []).filter((t) => t > outAt + 10 && t < recoverAt).length, 0);
  mode.set('c', 'ok');
  const backAt = await waitFor('c put back', async () => ((await healthy('c')) === 1 ? Date.now() : undefined), 5_000, 10);
  await waitFor('c to take traffic again', () => (hits.get('c') ?? []).some((t) => t > backAt), 3_000);
  return { outMs: outAt - sickAt, backMs: backAt - recoverAt, leaked, during };
}

test('a server whose health check fails is taken out and put back; no client request reaches it meanwhile', async (t) => {
  assert.equal(await healthy('a'), 1);
  const load = startLoad({ url: j.url, path: (i) => `/hc/${i}`, workers: 4, pauseMs: 2, durationMs: 30_000 });
  try {
    const failing = await outAndBack('fail');
    t.diagnostic(`503 from /healthz: out after ${failing.outMs} ms, back ${failing.backMs} ms after recovery; ${failing.during} requests served by a and b meanwhile, ${failing.leaked} reached c`);
    const hanging = await outAndBack('hang');
    t.diagnostic(`/healthz hanging: out after ${hanging.outMs} ms, back ${hanging.backMs} ms after recovery; ${hanging.during} requests served by a and b meanwhile, ${hanging.leaked} reached c`);
    const result = await load.stop();
    t.diagnostic(describeLoad(result));
    for (const [what, r] of [['failing', failing], ['hanging', hanging]] as const) {
      assert.ok(r.during > 20, `${what}: traffic went on meanwhile (${r.during})`);
      assert.equal(r.leaked, 0, `${what}: no client request reached c while it was out`);
      // unhealthy=2 checks at 200 ms: out within a few intervals; healthy=2: back within a few intervals
      assert.ok(r.outMs <= HC.intervalMs * (HC.unhealthy + 2) + HC.timeoutMs, `${what}: taken out in ${r.outMs} ms`);
      assert.ok(r.backMs <= HC.intervalMs * (HC.healthy + 2), `${what}: put back in ${r.backMs} ms`);
    }
    assert.equal(result.failed, 0, `clients saw no failure: ${describeLoad(result)}`);
  } finally {
    await load.stop();
  }
});

test('when no server passes its health check: 503 no_server, and all come back', async () => {
  mode.set('c', 'fail');
  mode.set('a', 'fail');
  mode.set('b', 'fail');
  try {
    await waitFor('every server out', async () => (await Promise.all(['a', 'b', 'c'].map(healthy))).every((v) => v === 0), 5_000);
    const r = await startLoad({ url: j.url, path: () => '/hc/none', workers: 1, maxRequests: 10, ok: (s) => s === 503 }).done;
    assert.equal(r.statuses['503'], 10, describeLoad(r));
  } finally {
    for (const s of ['a', 'b', 'c']) mode.set(s, 'ok');
  }
  await waitFor('every server back', async () => (await Promise.all(['a', 'b', 'c'].map(healthy))).every((v) => v === 1), 5_000);
});
