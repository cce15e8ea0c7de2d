import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBreaker } from '../../src/health/breaker.js';
import { BucketClocks } from '../../src/health/bucket-clocks.js';
import { waitFor } from '../support/wait.js';

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
    const rotated = performance.now();
    await waitFor('the failures to leave the 200 ms window', () => b.stats.failures === 0, 5000, 5);
    assert.ok(performance.now() - rotated >= 150, 'not before most of the window has passed');
  } finally {
    b.shutdown();
    clocks.close();
  }
});

test('after close() the clock stops rotating', async () => {
  const clocks = new BucketClocks();
  const control = new BucketClocks(); // the same clock left running: shows that time did pass
  try {
    const emitter = clocks.for(50, 10);
    let rotations = 0;
    emitter.on('rotate', () => rotations++);
    let controlRotations = 0;
    control.for(50, 10).on('rotate', () => controlRotations++);
    await waitFor('3 rotations at a 5 ms bucket', () => rotations >= 3, 5000, 1);
    clocks.close();
    const seen = rotations;
    const controlSeen = controlRotations;
    await waitFor('5 rotations of the control clock', () => controlRotations >= controlSeen + 5, 5000, 1);
    assert.equal(rotations, seen, 'no rotation after close()');
  } finally {
    clocks.close();
    control.close();
  }
});
