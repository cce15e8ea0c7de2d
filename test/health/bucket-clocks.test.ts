import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBreaker } from '../../src/health/breaker.js';
import { BucketClocks } from '../../src/health/bucket-clocks.js';
import { sleep } from '../support/wait.js';

test('breakers with the same window share one clock; another window gets its own', () => {
  const clocks = new BucketClocks();
  try {
    assert.equal(clocks.for(10_000, 10), clocks.for(10_000, 10));
    assert.notEqual(clocks.for(10_000, 10), clocks.for(20_000, 10));
  } finally {
    clocks.close();
  }
});

test('a breaker on a shared clock forgets failures once its window has rotated past them', async () => {
  const clocks = new BucketClocks();
  const settings = { errorThresholdPercentage: 50, volumeThreshold: 100, resetTimeoutMs: 10_000, windowMs: 200 };
  const b = createBreaker(settings, clocks);
  try {
    for (let i = 0; i < 3; i++) await b.fire(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    assert.equal(b.stats.failures, 3);
    await sleep(400);
    assert.equal(b.stats.failures, 0, 'the buckets rotated: the failures left the window');
  } finally {
    b.shutdown();
    clocks.close();
  }
});

test('after close() the clock stops rotating', async () => {
  const clocks = new BucketClocks();
  const emitter = clocks.for(50, 10);
  let rotations = 0;
  emitter.on('rotate', () => rotations++);
  await sleep(60);
  assert.ok(rotations >= 3, `rotated ${rotations} times in 60 ms at a 5 ms bucket`);
  clocks.close();
  const seen = rotations;
  await sleep(40);
  assert.equal(rotations, seen);
});
