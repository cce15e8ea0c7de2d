import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestJunction, get } from '../support/junction.js';
import { startUpstream } from '../support/upstream.js';
import { freePort } from '../support/etcd.js';
import { TestCa } from '../support/test-ca.js';
import { spawnServe } from '../cli/cli-process.js';
import { waitFor } from '../support/wait.js';
import { readVersion } from '../../src/version.js';

// `/metrics` as Prometheus's own linter sees it (Debian's prometheus package: promtool), on an
// instance with every kind of series alive — routes, a split with a guard, a tee, a health check,
// certificates, TLS, ACME's counter — and on a --workers primary, which aggregates its workers'.

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** `promtool check metrics` on a scrape: its exit code and what it said (nothing when clean). */
function promtool(scrape: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, output: `${stdout}${stderr}`.trim() });
    });
    child.stdin?.end(scrape);
  });
}

function assertStandardNames(scrape: string): void {
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_active_handles']) {
    assert.match(scrape, new RegExp(`^${name}[ {]`, 'm'), `${name} is exposed under its standard name`);
  }
  assert.doesNotMatch(scrape, /^junction_process_/m, 'no prefixed process metrics');
  assert.doesNotMatch(scrape, /^nodejs_active_(handles|requests|resources)_total/m, 'no gauges named *_total');
  const info = /^junction_build_info\{version="([^"]+)",node="([^"]+)"\} 1$/m.exec(scrape);
  assert.ok(info, 'junction_build_info{version,node} 1');
  assert.equal(info[1], readVersion());
  assert.equal(info[2], process.version);
}

test('a busy instance: every series passes promtool check metrics, with the standard process and Node.js names', async () => {
  const ca = new TestCa();
  cleanups.push(async () => ca.dispose());
  const stable = await startUpstream('stable');
  const canary = await startUpstream('canary');
  const shadow = await startUpstream('shadow');
  cleanups.push(() => stable.close(), () => canary.close(), () => shadow.close());
  const j = await startTestJunction({ listenTls: { host: '127.0.0.1', port: 0 } });
  cleanups.push(() => j.stop());
  const shop = ca.issue(['shop.test']);
  await j.put('certs/shop', { cert: shop.cert, key: shop.key, default: true });
  await j.put('acme/shop', { domains: ['shop.test'] });
  await j.put('backends/stable', { servers: [{ id: 's1', url: stable.url }], healthCheck: { path: '/health', intervalMs: 200 } });
  await j.put('backends/canary', { servers: [{ id: 'c1', url: canary.url }] });
  await j.put('backends/shadow', { servers: [{ id: 'sh1', url: shadow.url }] });
  await j.put('filters/limit', { type: 'rate-limit', config: { rps: 1000 } });
  await j.applied(
    await j.put('routes/web', {
      match: { pathPrefix: '/' },
      split: [
        { backend: 'stable', weight: 80 },
        { backend: 'canary', weight: 20 },
      ],
      guard: { maxErrorRate: 0.5, minRequests: 10, windowMs: 30_000 },
      tee: [{ backend: 'shadow', percent: 100 }],
      filters: ['limit'],
    }),
  );
  assert.deepEqual(j.snapshot()?.issues, [], 'the configuration is accepted whole');
  for (let i = 0; i < 20; i++) assert.equal((await get(`${j.url}/page/${i}`)).status, 200);
  await get(`${j.url}/x`, { headers: { host: 'a b' } }); // a 400: the unrouted series
  const scrape = await (await fetch(`${j.adminUrl}/metrics`)).text();
  for (const name of ['junction_http_requests_total', 'junction_tee_requests_total', 'junction_tls_certificate_expiry_seconds', 'junction_acme_orders_total', 'junction_http_request_duration_seconds_bucket']) {
    assert.match(scrape, new RegExp(`^${name}[ {]`, 'm'), `${name} is in the scrape`);
  }
  assertStandardNames(scrape);
  const r = await promtool(scrape);
  assert.deepEqual(r, { code: 0, output: '' }, 'promtool finds nothing to say');
});

test('a --workers primary: the aggregated scrape passes promtool too, junction_build_info still 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-promtool-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const admin = await freePort();
  const s = spawnServe(['--workers', '2', '--listen', '127.0.0.1:0', '--admin', `127.0.0.1:${admin}`, '--data-dir', dir, '--access-log', 'off', '--log-level', 'warn']);
  cleanups.push(async () => {
    s.child.kill('SIGKILL');
    await s.exited;
  });
  await waitFor('the primary is ready', async () => (await fetch(`http://127.0.0.1:${admin}/readyz`).catch(() => undefined))?.status === 200, 30_000, 100);
  const scrape = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
  assertStandardNames(scrape);
  const r = await promtool(scrape);
  assert.deepEqual(r, { code: 0, output: '' }, 'promtool finds nothing to say');
});
