import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianRound } from '../../bench/lib/median-round.js';
import type { ScenarioResult } from '../../bench/lib/throughput-report.js';

function run(cpu: number | undefined, rps = 1000): ScenarioResult {
  const base = { id: 'junction', label: 'Junction', what: 'x' };
  if (cpu === undefined) return { ...base, failed: 'boom' };
  return {
    ...base,
    result: { rps, total: rps * 10, durationS: 10, latencyMs: { p50: 1, p90: 2, p99: 3, max: 4, mean: 1 }, errors: 0, timeouts: 0, non2xx: 0, bytesPerSec: 0 },
    cpu: { usPerRequest: cpu, processPct: 99, corePct: [99, 50] },
  } as unknown as ScenarioResult;
}

test('the row is the whole median round by CPU per request, with every round listed in run order', () => {
  const m = medianRound([run(70, 1), run(60, 2), run(65, 3)]);
  assert.equal(m.cpu?.usPerRequest, 65);
  assert.equal(m.result?.rps, 3, 'the req/s of that same round, not a median of another column');
  assert.deepEqual(m.roundsCpu, [70, 60, 65]);
});

test('an even count takes the lower middle; failed rounds are listed but never chosen', () => {
  const m = medianRound([run(80), run(undefined), run(60), run(70), run(90)]);
  assert.equal(m.cpu?.usPerRequest, 70);
  assert.deepEqual(m.roundsCpu, [80, undefined, 60, 70, 90]);
});

test('one round is returned as it is; only failures give the first failure with the rounds', () => {
  const one = run(61);
  assert.equal(medianRound([one]), one);
  const failed = medianRound([run(undefined), run(undefined)]);
  assert.equal(failed.failed, 'boom');
  assert.deepEqual(failed.roundsCpu, [undefined, undefined]);
});
