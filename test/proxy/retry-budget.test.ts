import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetryBudget } from '../../src/proxy/retry-budget.js';

test('retries may be `percent` of the requests over the last 10 s, and at least minRetries', () => {
  let now = 50_000;
  const b = new RetryBudget(20, () => now, 2);
  b.onRetry();
  assert.equal(b.canRetry(), true, 'one retry: under the floor of two');
  b.onRetry();
  assert.equal(b.canRetry(), false, 'at the floor, no requests');
  for (let i = 0; i < 20; i++) b.onRequest();
  assert.equal(b.canRetry(), true, '2 retries < 20% of 20 requests');
  b.onRetry();
  b.onRetry();
  assert.equal(b.canRetry(), false, '4 retries = 20% of 20');
  now += 9_999 - (now % 1000);
  assert.equal(b.canRetry(), false, 'still within the window');
  now += 1;
  assert.equal(b.canRetry(), true, 'ten seconds on, the first second has expired');
  b.percent = 0;
  b.onRetry();
  b.onRetry();
  assert.equal(b.canRetry(), false, 'percent is read at every check');
});
