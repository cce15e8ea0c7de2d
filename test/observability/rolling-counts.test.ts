import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RollingCounts } from '../../src/observability/rolling-counts.js';

function window(buckets?: number) {
  const clock = { now: 0 };
  const counts = new RollingCounts({ counters: 2, windowMs: 1000, now: () => clock.now, ...(buckets === undefined ? {} : { buckets }) });
  return { clock, counts };
}

test('counts sum over the window, each counter on its own', () => {
  const { clock, counts } = window();
  counts.add(0);
  counts.add(0, 2);
  clock.now = 450;
  counts.add(0);
  counts.add(1);
  clock.now = 999;
  counts.add(1, 4);
  assert.equal(counts.sum(0), 4);
  assert.equal(counts.sum(1), 5);
});

test('a bucket expires once the window has moved past it', () => {
  const { clock, counts } = window();
  counts.add(0, 3); // bucket [0, 100)
  clock.now = 500;
  counts.add(0); // bucket [500, 600)
  clock.now = 1099;
  assert.equal(counts.sum(0), 1, 'the first bucket left the window at 1000');
  clock.now = 1499;
  assert.equal(counts.sum(0), 1);
  clock.now = 1500;
  assert.equal(counts.sum(0), 0, 'and the second at 1500');
});

test('a bucket reached again starts from zero', () => {
  const { clock, counts } = window();
  counts.add(0, 5);
  counts.add(1, 5);
  clock.now = 1000; // the same slot, one window later
  counts.add(0);
  assert.equal(counts.sum(0), 1);
  assert.equal(counts.sum(1), 0, 'the whole bucket was reset, not just the counter added to');
});

test('a clock jump clears old buckets; a clock going back ignores buckets it has not reached', () => {
  const { clock, counts } = window();
  for (let t = 0; t < 1000; t += 100) {
    clock.now = t;
    counts.add(0);
  }
  assert.equal(counts.sum(0), 10);
  clock.now = 3_600_000;
  assert.equal(counts.sum(0), 0, 'an hour later: nothing left');
  counts.add(0);
  clock.now = 3_599_500;
  assert.equal(counts.sum(0), 0, 'back in time: the newer bucket does not count');
  clock.now = 3_600_050;
  assert.equal(counts.sum(0), 1);
});

test('the number of buckets sets the granularity', () => {
  const { clock, counts } = window(2); // two 500 ms buckets
  counts.add(0);
  clock.now = 999;
  assert.equal(counts.sum(0), 1);
  clock.now = 1000;
  assert.equal(counts.sum(0), 0);
});
