import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { Agent, request } from 'undici';
import { startEtcd, type EtcdProcess } from '../support/etcd.js';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

// The canary walkthrough, live: weights moved by etcd puts while traffic flows.
let etcd: EtcdProcess;
let client: Etcd3;
let j: TestJunction;
let stable: TestUpstream;
let canary: TestUpstream;
const closedUpstreamSockets = { count: 0 };

before(async () => {
  etcd = await startEtcd({ name: 'canary-live' });
  client = new Etcd3({ hosts: etcd.endpoint });
  stable = await startUpstream('stable', (_req, res) => res.end('stable'));
  canary = await startUpstream('canary', (_req, res) => res.end('canary'));
  for (const up of [stable, canary]) {
    up.server.keepAliveTimeout = 60_000;
    up.server.on('connection', (s) => s.on('close', () => closedUpstreamSockets.count++));
  }
  await client.put('/junction/backends/stable').value(JSON.stringify({ servers: [{ id: 's', url: stable.url }] }));
  await client.put('/junction/backends/canary').value(JSON.stringify({ servers: [{ id: 'c', url: canary.url }] }));
  await client.put('/junction/routes/shop').value(JSON.stringify(split(100, 0)));
  j = await startTestJunction({ etcd: [etcd.endpoint] });
});

after(async () => {
  await j?.stop();
  client?.close();
  await etcd?.cleanup();
  await stable?.close();
  await canary?.close();
});

function split(stableWeight: number, canaryWeight: number) {
  return {
    match: { pathPrefix: '/' },
    split: [
      { backend: 'stable', weight: stableWeight },
      { backend: 'canary', weight: canaryWeight },
    ],
  };
}

test('moving the canary 0 → 5 → 25 → 50 → 100 by etcd put under load: zero failed requests, no pooled connection dropped', async () => {
  const agent = new Agent({ connections: 8 });
  let stop = false;
  let failed = 0;
  const served: Record<string, number> = {};
  const workers = Array.from({ length: 8 }, async () => {
    while (!stop) {
      try {
        const r = await request(`${j.url}/cart`, { dispatcher: agent });
        const body = await r.body.text();
        if (r.statusCode !== 200) failed++;
        served[body] = (served[body] ?? 0) + 1;
      } catch {
        failed++;
      }
    }
  });
  const total = () => Object.values(served).reduce((a, b) => a + b, 0) + failed;
  /** `n` more answers (the 8 loops keep at most 8 requests in flight) */
  const moreAnswers = (n: number, what: string) => {
    const from = total();
    return waitFor(`${n} answers ${what}`, () => total() >= from + n, 10_000, 2);
  };
  try {
    await moreAnswers(100, 'before the first change'); // every pooled connection in use
    const closedBefore = closedUpstreamSockets.count;
    for (const [s, c] of [[95, 5], [75, 25], [50, 50], [0, 100]] as const) {
      const res = await client.put('/junction/routes/shop').value(JSON.stringify(split(s, c))).exec();
      await j.applied(Number(res.header.revision));
      await moreAnswers(100, `at ${s}/${c}`);
    }
    // the last change sent everything to the canary: of the next 100 answers, at most the 8 that
    // were in flight come from stable
    const stableBefore = served.stable ?? 0;
    const canaryBefore = served.canary ?? 0;
    await moreAnswers(100, 'at 0/100');
    stop = true;
    await Promise.all(workers);
    assert.equal(failed, 0);
    assert.ok((served.stable ?? 0) - stableBefore <= 8, `at 100% stable takes no new request (${(served.stable ?? 0) - stableBefore})`);
    assert.ok((served.canary ?? 0) - canaryBefore >= 92, 'at 100% the canary takes the traffic');
    assert.equal(closedUpstreamSockets.count - closedBefore, 0, 'no upstream keep-alive connection was closed by the weight changes');
    const metrics = await (await request(`${j.adminUrl}/metrics`)).body.text();
    assert.match(metrics, /junction_http_requests_total\{route="shop",backend="canary",code="200"\} \d+/);
    assert.match(metrics, /junction_http_requests_total\{route="shop",backend="stable",code="200"\} \d+/);
  } finally {
    stop = true;
    await Promise.all(workers);
    await agent.close();
  }
});
