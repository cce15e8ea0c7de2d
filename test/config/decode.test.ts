import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeDocument, validateDocument } from '../../src/config/decode/decode-document.js';
import { createValidators } from '../../src/config/decode/validators.js';

const v = createValidators();

function fields(kind: 'route' | 'backend' | 'server' | 'filter', doc: unknown): string[] {
  const r = validateDocument(kind, doc, v);
  assert.equal(r.ok, false, `expected ${JSON.stringify(doc)} to be rejected`);
  return r.ok ? [] : r.errors.map((e) => e.field);
}

test('a valid route, backend, server and filter decode', () => {
  const route = decodeDocument(
    'route',
    JSON.stringify({
      match: { host: '*.example.com', pathPrefix: '/v1/', methods: ['GET'], headers: { 'x-tenant': 'acme' } },
      priority: 5,
      split: [
        { backend: 'api-v1', weight: 95 },
        { backend: 'api-v2', weight: 5 },
      ],
      sticky: { cookie: 'junction_canary' },
      force: { header: 'x-junction-backend' },
      guard: { maxErrorRate: 0.05, minRequests: 100, windowMs: 30000 },
      tee: [{ backend: 'perf-lab', percent: 10, headers: { set: { 'x-env': 'shadow' }, remove: ['authorization'] } }],
      filters: ['strip-v1'],
    }),
    v,
  );
  assert.equal(route.ok, true, JSON.stringify(route));
  const backend = decodeDocument(
    'backend',
    JSON.stringify({
      balancer: 'hash',
      hashKey: 'header:x-user-id',
      servers: [{ id: 's1', url: 'http://10.0.0.1:8080', weight: 1 }],
      timeouts: { connectMs: 2000, headersMs: 30000, idleMs: 60000 },
      maxConnectionsPerServer: 128,
      healthCheck: { path: '/healthz', intervalMs: 2000, timeoutMs: 1000, healthy: 2, unhealthy: 3 },
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeoutMs: 10000, windowMs: 10000 },
      retry: { attempts: 2, on: ['connect', 'reset', '503'], budgetPercent: 20 },
    }),
    v,
  );
  assert.equal(backend.ok, true, JSON.stringify(backend));
  assert.equal(decodeDocument('server', '{"url":"http://10.0.0.1:8080","weight":1,"state":"draining"}', v).ok, true);
  assert.equal(decodeDocument('filter', '{"type":"rate-limit","config":{"rps":5}}', v).ok, true);
});

test('non-JSON is rejected as such', () => {
  const r = decodeDocument('route', '{"match": ', v);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.json, false);
  assert.match(!r.ok ? (r.errors[0]?.message ?? '') : '', /not valid JSON/);
});

test('schema errors name the field, all of them at once', () => {
  assert.deepEqual(
    fields('route', { match: { pathPrefix: 'v1' }, backend: 'Bad Id', priority: 1.5 }).sort(),
    ['backend', 'match.pathPrefix', 'priority'],
  );
  assert.deepEqual(fields('route', { backend: 'a', split: [{ backend: 'b', weight: -1 }] }), ['split[0].weight']);
  assert.deepEqual(fields('route', { backend: 'a', mtach: {} }), ['mtach']);
  assert.deepEqual(fields('backend', { servers: [{ id: 's1' }] }), ['servers[0].url']);
  assert.deepEqual(fields('backend', { balancer: 'random' }), ['balancer']);
  assert.deepEqual(fields('server', { url: 'ftp://x' }), ['url']);
  assert.deepEqual(fields('filter', { config: {} }), ['type']);
  assert.deepEqual(fields('route', []), ['(document)']);
  assert.deepEqual(fields('route', 'x'), ['(document)']);
});

test('rules beyond the schema name their field', () => {
  assert.deepEqual(fields('route', { match: {} }), ['backend']);
  assert.deepEqual(fields('route', { backend: 'a', split: [{ backend: 'b', weight: 1 }] }), ['split']);
  assert.deepEqual(fields('route', { backend: 'a', match: { pathPrefix: '/a', path: '/b' } }), ['match.path']);
  assert.deepEqual(fields('route', { backend: 'a', match: { pathRegex: '([' } }), ['match.pathRegex']);
  assert.deepEqual(
    fields('route', { split: [{ backend: 'a', weight: 1 }, { backend: 'a', weight: 2 }] }),
    ['split[1].backend'],
  );
  assert.deepEqual(fields('route', { split: [{ backend: 'a', weight: 0 }] }), ['split']);
  assert.deepEqual(fields('route', { backend: 'a', sticky: { cookie: 'c' } }), ['sticky']);
  assert.deepEqual(fields('backend', { balancer: 'hash' }), ['hashKey']);
  assert.deepEqual(
    fields('backend', { servers: [{ id: 'a', url: 'http://h:1' }, { id: 'a', url: 'http://h:2' }] }),
    ['servers[1].id'],
  );
  assert.deepEqual(fields('backend', { servers: [{ id: 'a', url: 'http://h:1/path' }] }), ['servers[0].url']);
  assert.deepEqual(fields('server', { url: 'http://user:pw@h:1' }), ['url']);
});
