import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuardWindow, type GuardStats } from '../../src/canary/guard-window.js';

test('a guard trips once the error rate over its window exceeds the limit with enough requests, and stays tripped', () => {
  let now = 10_000;
  const trips: GuardStats[] = [];
  const g = new GuardWindow({ maxErrorRate: 0.5, minRequests: 4, windowMs: 1000 }, () => now, (s) => trips.push(s));
  g.record(true);
  g.record(true);
  g.record(true);
  assert.equal(g.tripped, false, 'three requests: under minRequests');
  assert.deepEqual(g.stats(), { requests: 3, errors: 3, errorRate: 1 });
  g.record(false);
  assert.equal(g.tripped, false, 'a success never trips it');
  now += 50;
  g.record(true);
  assert.equal(g.tripped, true);
  assert.equal(g.trippedAt, now);
  assert.deepEqual(trips, [{ requests: 5, errors: 4, errorRate: 0.8 }]);
  now += 5000;
  g.record(false);
  assert.deepEqual(g.stats(), { requests: 5, errors: 4, errorRate: 0.8 }, 'stats as they stood when it tripped');
  assert.equal(trips.length, 1);
});

test('requests older than the window do not count', () => {
  let now = 0;
  const g = new GuardWindow({ maxErrorRate: 0.5, minRequests: 4, windowMs: 1000 }, () => now, () => undefined);
  for (let i = 0; i < 3; i++) g.record(true);
  now = 950;
  assert.deepEqual(g.stats(), { requests: 3, errors: 3, errorRate: 1 }, 'still inside the window (ten 100 ms buckets)');
  now = 1000;
  assert.deepEqual(g.stats(), { requests: 0, errors: 0, errorRate: 0 }, 'the first bucket has left the window');
  g.record(true);
  assert.equal(g.tripped, false, 'the old errors no longer count towards minRequests');
});
