import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeGuard } from '../../src/cli/client/guard-text.js';

const base = { route: 'api', backend: 'v2', maxErrorRate: 0.05, minRequests: 100, windowMs: 30_000 };

test('an untripped guard: errors (5xx) in requests, their rate, the window and when it trips', () => {
  assert.equal(
    describeGuard({ ...base, tripped: false, trippedAt: null, errors: 0, requests: 15, errorRate: 0 }),
    'ok: 0 errors (5xx) in 15 requests = 0.0% in the last 30 s (trips above 5.0% with at least 100 requests)',
  );
  assert.equal(
    describeGuard({ ...base, tripped: false, trippedAt: null, errors: 1, requests: 1, errorRate: 1, minRequests: 1, windowMs: 1500 }),
    'ok: 1 error (5xx) in 1 request = 100.0% in the last 1.5 s (trips above 5.0% with at least 1 request)',
  );
});

test('a tripped guard says when, with the counts that tripped it', () => {
  assert.equal(
    describeGuard({ ...base, tripped: true, trippedAt: '2026-01-02T03:04:05.006Z', errors: 12, requests: 150, errorRate: 0.08 }),
    'TRIPPED at 2026-01-02T03:04:05.006Z: 12 errors (5xx) in 150 requests = 8.0% in the last 30 s (trips above 5.0% with at least 100 requests)',
  );
});

test('limits the API does not report are left out rather than invented', () => {
  assert.equal(
    describeGuard({ route: 'api', backend: 'v2', tripped: false, trippedAt: null, errors: 3, requests: 40, errorRate: 0.075 }),
    'ok: 3 errors (5xx) in 40 requests = 7.5%',
  );
});
