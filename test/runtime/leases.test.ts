import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { GuardRegistry } from '../../src/canary/guard-registry.js';
import { backendConfig } from '../../src/config/backend-config.js';
import { resolveTee } from '../../src/config/defaults.js';
import { FilterInstances } from '../../src/filters/instance-registry.js';
import type { LoadedModule } from '../../src/filters/load-module.js';
import { HealthRegistry } from '../../src/health/health-registry.js';
import type { JunctionEvent } from '../../src/observability/events.js';
import { JunctionEvents } from '../../src/observability/events.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { RouteSeriesCache } from '../../src/observability/route-series.js';
import { RetryBudgets } from '../../src/proxy/retry-budget.js';
import { ResourceRegistry } from '../../src/runtime/resource-registry.js';
import { TeeRegistry } from '../../src/tee/tee-registry.js';
import { observe, withHarness } from './graph-harness.js';

const logger = pino({ level: 'silent' });
const opts = { origin: 'http://127.0.0.1:1', connections: 4, connectTimeoutMs: 1000 };

async function labels(metric: { get(): Promise<{ values: ReadonlyArray<{ labels: Record<string, string | number | undefined> }> }> }): Promise<string[]> {
  return [...new Set((await metric.get()).values.map((v) => `${v.labels['route']} ${v.labels['backend']}`))].sort();
}

test('two holders of one pool: releasing one keeps it open, releasing both closes it; a second release changes nothing', async () => {
  const registry = new ResourceRegistry();
  try {
    const a = registry.acquire(opts);
    const b = registry.acquire({ ...opts });
    assert.equal(a.value, b.value, 'one pool for the same origin and options');
    assert.notEqual(registry.acquire({ ...opts, connections: 8 }).value, a.value, 'other options, another pool');
    a.release();
    a.release();
    assert.equal(a.value.closed, false, "a's second release does not take b's hold");
    assert.equal(a.value.pool.closed, false);
    b.release();
    assert.equal(b.value.closed, true, 'the last holder let go: the pool is closed');
    assert.equal(b.value.pool.closed, true);
    assert.notEqual(registry.acquire(opts).value, a.value, 'acquired again: a new pool');
  } finally {
    await registry.close(true);
  }
});

test('an upstream closed under its holders is not handed out again; releasing it leaves its replacement open', async () => {
  const registry = new ResourceRegistry();
  try {
    const old = registry.acquire(opts);
    await old.value.close();
    const fresh = registry.acquire(opts);
    assert.notEqual(fresh.value, old.value);
    old.release();
    assert.equal(fresh.value.closed, false);
    assert.equal(registry.size, 1);
  } finally {
    await registry.close(true);
  }
});

test('shutdown destroys what is held; leases released afterwards do nothing', async () => {
  const registry = new ResourceRegistry();
  const lease = registry.acquire(opts);
  await registry.close(true);
  assert.equal(lease.value.pool.destroyed, true, 'forced: destroyed, not closed gracefully');
  lease.release();
  assert.equal(registry.size, 0);
});

test('two backends sharing a server share its pool until the last of them goes', () =>
  withHarness(async (h) => {
    const shared = { servers: [{ id: 's1', url: 'http://127.0.0.1:7' }] };
    const { built } = await h.apply(
      ['backends/a', shared],
      ['backends/b', { servers: [{ id: 'x', url: 'http://127.0.0.1:7' }] }],
      ['routes/ra', { match: { pathPrefix: '/a/' }, backend: 'a' }],
      ['routes/rb', { match: { pathPrefix: '/b/' }, backend: 'b' }],
    );
    const pool = built.graph.backends.get('a')?.servers[0]?.upstream;
    assert.ok(pool !== undefined);
    assert.equal(built.graph.backends.get('b')?.servers[0]?.upstream, pool, 'one pool');
    await h.apply(['routes/ra'], ['backends/a']);
    assert.equal(pool.closed, false, 'b still holds it');
    assert.deepEqual((await observe(h.main)).pools, ['http://127.0.0.1:7']);
    await h.apply(['routes/rb'], ['backends/b']);
    assert.equal(pool.closed, true, 'nobody holds it: closed');
    assert.equal(pool.pool.closed, true);
  }));

test('a build that fails halfway releases what it acquired; the previous graph keeps serving with its own', () =>
  withHarness(async (h) => {
    const be = (port: number) => ({ servers: [{ id: 's1', url: `http://127.0.0.1:${port}` }, { id: 's2', url: `http://127.0.0.2:${port}` }] });
    const { built } = await h.apply(
      ['backends/a', be(1)],
      ['backends/b', be(2)],
      ['filters/f', { type: 't', config: {} }],
      ['routes/ra', { match: { pathPrefix: '/a/' }, backend: 'a' }],
      ['routes/rf', { match: { pathPrefix: '/f/' }, backend: 'a', filters: ['f'] }],
      ['routes/rt', { match: { pathPrefix: '/t/' }, backend: 'a', tee: [{ backend: 'b' }] }],
    );
    const before = await observe(h.main);
    const serving = new Set(h.main.pools);
    const shadow = new Set(h.main.shadowPools);
    // backend a is rebuilt on new servers (new pools, new health states), then the route loop throws
    h.modules.broken = true;
    h.failing(['backends/a', be(3)]);
    const made = [...h.main.pools].filter((u) => !serving.has(u));
    assert.equal(made.length, 2, 'the failed build made two pools');
    for (const u of made) assert.equal(u.closed, true, `${u.origin}: acquired by the failed build, closed`);
    for (const u of [...serving, ...shadow]) assert.equal(u.closed, false, `${u.origin}: the previous graph's pool stays open`);
    assert.deepEqual(await observe(h.main), before, 'health states, series, guards, tees and filters as they were');
    assert.equal(h.last()?.graph, built.graph);
    // the next build starts from the graph that kept serving (and is checked against a full build)
    h.modules.broken = false;
    const next = await h.apply(['routes/ra', { match: { pathPrefix: '/a2/' }, backend: 'a' }]);
    assert.deepEqual(next.built.graph.backends.get('a')?.servers.map((s) => s.upstream.origin), ['http://127.0.0.1:3', 'http://127.0.0.2:3']);
    for (const u of serving) if (u.origin.endsWith(':1')) assert.equal(u.closed, true, `${u.origin}: released by the build that replaced it`);
  }));

test('a tripped guard reports its reset when dropped; its gauge stays while the route has a live guard', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const events = new JunctionEvents();
  const seen: JunctionEvent[] = [];
  events.on((e) => seen.push(e));
  const guards = new GuardRegistry({ metrics, logger, events, now: () => 1000 });
  const spec = { maxErrorRate: 0.1, minRequests: 2, windowMs: 1000 };
  const old = guards.acquire('r', 1, 'canary', spec);
  const dup = guards.acquire('r', 1, 'canary', spec);
  assert.equal(dup.value, old.value, 'same route revision: same guard');
  for (let i = 0; i < 3; i++) old.value.guard.record(true);
  assert.equal(old.value.guard.tripped, true);
  const next = guards.acquire('r', 2, 'canary', spec);
  assert.notEqual(next.value.guard, old.value.guard, 'a new revision of the route: a fresh guard');
  old.release();
  old.release();
  assert.equal(seen.filter((e) => e.type === 'canary.guard_reset').length, 0, 'a second release of one lease does not drop the guard: dup holds it');
  assert.equal(guards.states().length, 2);
  dup.release();
  assert.deepEqual(
    seen.filter((e) => e.type === 'canary.guard_reset'),
    [{ type: 'canary.guard_reset', route: 'r', backend: 'canary' }],
  );
  assert.deepEqual(await labels(metrics.canaryGuardTripped), ['r canary'], "the new revision's guard keeps the gauge");
  assert.deepEqual(guards.states().map((s) => s.tripped), [false]);
  next.release();
  assert.deepEqual(await labels(metrics.canaryGuardTripped), [], 'the last guard of the labels took the gauge along');
  assert.equal(seen.filter((e) => e.type === 'canary.guard_reset').length, 1, 'an untripped guard reports nothing');
});

test('tees of one route on one shadow backend share their series, removed with the last of them', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const tees = new TeeRegistry({ metrics });
  try {
    const first = tees.acquire('r', 0, resolveTee({ backend: 'shadow' }));
    const second = tees.acquire('r', 1, resolveTee({ backend: 'shadow', percent: 50 }));
    assert.notEqual(first.value, second.value);
    first.value.count('sent');
    second.value.count('sent');
    first.release();
    assert.deepEqual(await labels(metrics.teeRequests), ['r shadow']);
    assert.deepEqual(tees.reports().length, 1);
    second.release();
    assert.deepEqual(await labels(metrics.teeRequests), []);
    assert.deepEqual(tees.reports(), []);
  } finally {
    tees.close();
  }
});

test('a series is removed from the metrics registry with its last lease', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const series = new RouteSeriesCache(metrics);
  const a = series.acquire('r', 'b');
  const b = series.acquire('r', 'b');
  assert.equal(a.value, b.value);
  a.value.record(200, 0.01);
  a.release();
  assert.deepEqual(await labels(metrics.httpDuration), ['r b']);
  b.release();
  assert.deepEqual(await labels(metrics.httpDuration), []);
  assert.deepEqual(await labels(metrics.httpRequests), []);
});

test('a filter instance is closed closeDelayMs after its last lease; a create() that throws holds nothing', async () => {
  let closed = 0;
  let fail = false;
  const mod: LoadedModule = {
    type: 't',
    file: '/t.js',
    version: '1',
    validate: undefined,
    module: {
      type: 't',
      create: () => {
        if (fail) throw new Error('create failed');
        return { close: () => void closed++ };
      },
    },
  };
  const filter = { id: 'f', key: '/junction/filters/f', modRevision: 3, spec: { type: 't', config: {} } };
  const instances = new FilterInstances(logger, 30);
  const a = instances.acquire(filter, mod);
  const b = instances.acquire(filter, mod);
  assert.equal(a.value, b.value);
  a.release();
  b.release();
  b.release();
  await sleep(5);
  assert.equal(closed, 0, 'requests still on the old graph may use it for closeDelayMs');
  await sleep(60);
  assert.equal(closed, 1, 'closed once');
  fail = true;
  assert.throws(() => instances.acquire({ ...filter, modRevision: 4 }, mod), /create failed/);
  fail = false;
  const c = instances.acquire({ ...filter, modRevision: 4 }, mod);
  await instances.closeAll();
  assert.equal(closed, 2);
  c.release();
  await sleep(60);
  assert.equal(closed, 2, 'released after shutdown: not closed twice');
});

test('a health state survives while leased, resets its breaker when the settings change, and stops with its last lease', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const health = new HealthRegistry({ metrics, logger, events: new JunctionEvents() });
  const registry = new ResourceRegistry();
  try {
    const backend = (threshold: number) => backendConfig('b', '/junction/backends/b', 1, { servers: [{ id: 's1', url: 'http://127.0.0.1:1' }], breaker: { errorThresholdPercentage: threshold } }, undefined);
    const first = backend(50);
    const server = first.servers[0];
    assert.ok(server !== undefined);
    const up = registry.acquire({ origin: server.url, connections: 1, connectTimeoutMs: 1000 }).value;
    const a = health.acquire(first, server, up);
    const breaker = a.value.breaker;
    const b = health.acquire(first, server, up);
    assert.equal(b.value, a.value);
    assert.equal(b.value.breaker, breaker, 'same settings: same breaker');
    const c = health.acquire(backend(20), server, up);
    assert.equal(c.value, a.value, 'same server: same state');
    assert.notEqual(c.value.breaker, breaker, 'new breaker settings: a fresh breaker');
    assert.equal(breaker.isShutdown, true);
    a.release();
    b.release();
    assert.equal(health.states().length, 1);
    const current = c.value.breaker;
    c.release();
    assert.deepEqual(health.states(), []);
    assert.equal(current.isShutdown, true, 'stopped with its last lease');
    assert.deepEqual((await metrics.serverHealthy.get()).values, [], 'its series removed');
  } finally {
    health.close();
    await registry.close(true);
  }
});

test('a retry budget is kept while leased and follows the latest percent', () => {
  const budgets = new RetryBudgets();
  const a = budgets.acquire('b', 20);
  const b = budgets.acquire('b', 30);
  assert.equal(a.value, b.value);
  assert.equal(a.value.percent, 30);
  a.release();
  const c = budgets.acquire('b', 30);
  assert.equal(c.value, b.value, 'still held by b');
  b.release();
  c.release();
  assert.notEqual(budgets.acquire('b', 30).value, a.value, 'released by all: a fresh budget');
});
