import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FAILURE_PENALTY_MS, ServerLoad } from '../../src/balancing/index.js';

function clocked(opts: { decayMs?: number; failurePenaltyMs?: number } = {}): { load: ServerLoad; clock: { t: number } } {
  const clock = { t: 0 };
  return { load: new ServerLoad({ ...opts, now: () => clock.t }), clock };
}

const close = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${actual} ≈ ${expected}`);

test('counts requests in flight and never goes below zero', () => {
  const { load } = clocked();
  assert.equal(load.inFlight, 0);
  load.begin();
  load.begin();
  assert.equal(load.inFlight, 2);
  load.end(1);
  load.end(1);
  load.end(1); // an unmatched end is ignored
  assert.equal(load.inFlight, 0);
});

test('no sample: free while idle, penalized while its first request is pending', () => {
  const { load } = clocked();
  assert.equal(load.hasSample, false);
  assert.equal(load.cost(), 0);
  load.begin();
  assert.equal(load.cost(), DEFAULT_FAILURE_PENALTY_MS * 2);
  load.end(30);
  assert.equal(load.hasSample, true);
  assert.equal(load.cost(), 30);
});

test('peak: a higher sample replaces the estimate at once', () => {
  const { load, clock } = clocked();
  load.end(10);
  clock.t += 1;
  load.end(500);
  assert.equal(load.ewmaMs, 500);
});

test('a lower sample is averaged in with weight 1 - e^(-Δt/τ)', () => {
  const { load, clock } = clocked({ decayMs: 1_000 });
  load.end(100);
  clock.t += 1_000;
  load.end(10);
  const w = Math.exp(-1);
  close(load.ewmaMs, 100 * w + 10 * (1 - w));
  // many samples in quick succession converge on their value, whatever the rate
  for (let i = 0; i < 20_000; i++) {
    clock.t += 1;
    load.end(10);
  }
  close(load.ewmaMs, 10, 1e-6);
});

test('without samples the estimate decays toward zero with time constant decayMs', () => {
  const { load, clock } = clocked({ decayMs: 10_000 });
  load.end(1_000);
  clock.t += 10_000;
  close(load.ewmaMs, 1_000 / Math.E);
  close(load.cost(), 1_000 / Math.E);
  load.begin();
  load.begin();
  close(load.cost(), (3 * 1_000) / Math.E);
});

test('a failure counts as at least the penalty latency', () => {
  const { load, clock } = clocked({ failurePenaltyMs: 2_000 });
  load.end(5);
  clock.t += 1;
  load.end(1, true);
  assert.equal(load.ewmaMs, 2_000);
  clock.t += 1;
  load.end(9_000, true); // a slow failure (a timeout) counts as what it took
  assert.equal(load.ewmaMs, 9_000);
});

test('garbage latencies count as 0 and options fall back to defaults', () => {
  const { load } = clocked({ decayMs: -1, failurePenaltyMs: Number.NaN });
  load.end(Number.NaN);
  assert.equal(load.ewmaMs, 0);
  load.end(-5, true);
  assert.equal(load.ewmaMs, DEFAULT_FAILURE_PENALTY_MS);
  // default clock works
  const real = new ServerLoad();
  real.begin();
  real.end(3);
  assert.ok(real.cost() > 0 && real.cost() <= 3);
});
