import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBreaker } from '../../src/health/breaker.js';
import { OutlierDetector } from '../../src/health/outlier.js';
import { ServerHealth } from '../../src/health/server-health.js';

const settings = { errorThresholdPercentage: 50, volumeThreshold: 1, resetTimeoutMs: 60_000, windowMs: 10_000 };

test('a server makes its breaker on first use; until then it is available and reads as closed', async () => {
  const made: Array<ReturnType<typeof createBreaker>> = [];
  const h = new ServerHealth('b', 's1', 'http://127.0.0.1:1', settings, 'k1', new OutlierDetector(Date.now, () => undefined), (s) => {
    const b = createBreaker(s);
    made.push(b);
    return b;
  });
  try {
    assert.equal(h.available(), true);
    assert.equal(h.state().breaker, 'closed');
    assert.equal(made.length, 0, 'no breaker before the first request');
    const b = h.breaker;
    assert.equal(made.length, 1);
    assert.equal(h.breaker, b, 'one breaker, made once');
    assert.equal(h.isCurrent(b), true);
    await b.fire(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    assert.equal(h.state().breaker, 'open');
    assert.equal(h.available(), false, 'an open breaker takes the server out');

    h.resetBreaker({ ...settings, volumeThreshold: 5 }, 'k2');
    assert.equal(b.isShutdown, true, 'the replaced breaker is shut down');
    assert.equal(h.isCurrent(b), false);
    assert.equal(h.available(), true, 'fresh settings, no breaker yet: available again');
    const fresh = h.breaker;
    assert.equal(made.length, 2);
    await fresh.fire(() => Promise.reject(new Error('boom'))).catch(() => undefined);
    assert.equal(h.state().breaker, 'closed', 'the new settings apply: one failure is below volumeThreshold 5');
  } finally {
    h.close();
  }
});
