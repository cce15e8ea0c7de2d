import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  baselineSample,
  baselineSecond,
  DEFAULT_BOUNDS,
  endSample,
  evaluateSoak,
  figureSummary,
  parsePromText,
  promByLabel,
  promSum,
  tableSamples,
  teeInFlight,
  teeOffered,
  type SoakInputs,
  type SoakSample,
} from '../../bench/lib/soak-eval.js';

const MiB = 2 ** 20;
const noLoad = { responses: 0, non2xx: 0, errors: 0, timeouts: 0 };

function sample(t: number, rssMiB: number, fds: number, extra: Partial<SoakSample> = {}): SoakSample {
  return { t, rssBytes: rssMiB * MiB, fds, heapUsedBytes: 30 * MiB, appliedRevision: t, writtenRevision: t, changes: t, load: { ...noLoad, responses: t * 1000 }, ...extra };
}

/** A healthy 120 s run: baseline at 60 s. */
function inputs(over: Partial<SoakInputs> = {}): SoakInputs {
  const samples = [sample(0, 100, 25), sample(60, 120, 44), sample(120, 130, 46), sample(123, 131, 34, { idle: true })];
  return {
    samples,
    baselineS: 60,
    bounds: DEFAULT_BOUNDS,
    load: { responses: 123_000, non2xx: 0, errors: 0, timeouts: 0 },
    targetRequests: 123_000,
    changesWritten: 140,
    changeErrors: 0,
    lastWrittenRevision: 300,
    finalAppliedRevision: 300,
    tee: { sent: 500, completed: 0, failed: 500, dropped_breaker: 122_501, dropped_inflight: 0 },
    routeRequests: 123_001,
    ...over,
  };
}

const failed = (x: SoakInputs) =>
  evaluateSoak(x)
    .filter((c) => !c.pass)
    .map((c) => c.id);

test('a healthy run passes every bound', () => {
  const checks = evaluateSoak(inputs());
  assert.deepEqual(
    checks.map((c) => c.id),
    ['errors', 'timeouts', 'non2xx', 'delivered', 'fds', 'rss', 'changes', 'revision', 'tee', 'tee-accounted'],
  );
  assert.deepEqual(failed(inputs()), []);
});

test('errors, timeouts and non-2xx fail separately', () => {
  assert.deepEqual(failed(inputs({ load: { responses: 123_000, non2xx: 0, errors: 1, timeouts: 0 } })), ['errors']);
  assert.deepEqual(failed(inputs({ load: { responses: 123_000, non2xx: 0, errors: 0, timeouts: 2 } })), ['timeouts']);
  assert.deepEqual(failed(inputs({ load: { responses: 123_000, non2xx: 3, errors: 0, timeouts: 0 } })), ['non2xx']);
});

test('a load that fell short of the plan fails', () => {
  assert.deepEqual(failed(inputs({ load: { responses: 100_000, non2xx: 0, errors: 0, timeouts: 0 } })), ['delivered']);
});

test('fds: the end under load against the baseline, not the idle sample', () => {
  const grow = (endFds: number) => inputs({ samples: [sample(0, 100, 25), sample(60, 120, 44), sample(120, 130, endFds), sample(123, 131, 10, { idle: true })] });
  assert.deepEqual(failed(grow(64)), []); // +20 is allowed
  assert.deepEqual(failed(grow(65)), ['fds']);
  // the idle sample (clients gone) is never the end
  const idleHigh = inputs({ samples: [sample(0, 100, 25), sample(60, 120, 44), sample(120, 130, 44), sample(123, 131, 500, { idle: true })] });
  assert.deepEqual(failed(idleHigh), []);
});

test('RSS growth after the warm-up is bounded; growth during the warm-up is not judged', () => {
  const run = (baseMiB: number, endMiB: number) => inputs({ samples: [sample(0, 50, 25), sample(60, baseMiB, 44), sample(120, endMiB, 44)] });
  assert.deepEqual(failed(run(120, 170)), []);
  assert.deepEqual(failed(run(120, 170.5)), ['rss']);
  assert.deepEqual(failed(run(200, 150)), []); // shrinking is fine, and 50 -> 200 before the baseline is not judged
});

test('without a baseline distinct from the end, fds and RSS fail rather than pass silently', () => {
  const only = inputs({ samples: [sample(0, 100, 25), sample(10, 100, 25)] });
  assert.deepEqual(failed(only).sort(), ['fds', 'rss']);
});

test('every change written and the last one applied', () => {
  assert.deepEqual(failed(inputs({ changeErrors: 1 })), ['changes']);
  assert.deepEqual(failed(inputs({ changesWritten: 0 })), ['changes']);
  assert.deepEqual(failed(inputs({ finalAppliedRevision: 299 })), ['revision']);
  assert.deepEqual(failed(inputs({ finalAppliedRevision: undefined })), ['revision']);
});

test('tee: copies to a dead shadow must be failed or dropped, none completed, none in flight', () => {
  assert.deepEqual(failed(inputs({ tee: { sent: 510, completed: 0, failed: 500, dropped_breaker: 122_491 } })), ['tee']); // 10 hanging
  assert.deepEqual(failed(inputs({ tee: { sent: 500, completed: 500, failed: 0, dropped_breaker: 122_501 } })), ['tee']);
  assert.deepEqual(failed(inputs({ tee: { sent: 0, completed: 0, failed: 0 }, routeRequests: 0 })), ['tee']);
  assert.deepEqual(failed(inputs({ tee: undefined })), ['tee']);
  assert.deepEqual(failed(inputs({ routeRequests: 123_002 })), ['tee-accounted']);
});

test('tee arithmetic', () => {
  const t = { sent: 10, completed: 3, failed: 4, dropped_breaker: 5, dropped_inflight: 1, skipped_method: 2 };
  assert.equal(teeInFlight(t), 3);
  assert.equal(teeOffered(t), 18);
});

test('baseline second: the end of the first minute, or half a short run', () => {
  assert.equal(baselineSecond(600, 10), 60);
  assert.equal(baselineSecond(120, 10), 60);
  assert.equal(baselineSecond(40, 10), 20);
  assert.equal(baselineSecond(45, 10), 20);
  assert.equal(baselineSecond(20, 10), 10);
});

test('baseline, end and table samples', () => {
  const s = [sample(0, 1, 1), sample(10, 2, 2), sample(60, 3, 3), sample(70, 4, 4), sample(120, 5, 5), sample(130, 6, 6), sample(133, 7, 7, { idle: true })];
  assert.equal(baselineSample(s, 60)?.t, 60);
  assert.equal(baselineSample(s, 55)?.t, 60);
  assert.equal(endSample(s)?.t, 130);
  assert.deepEqual(
    tableSamples(s, 60, 60).map((x) => x.t),
    [0, 60, 120, 130, 133],
  );
  assert.deepEqual(figureSummary(s, 60, (x) => x.fds), { first: 1, baseline: 3, end: 6, max: 6 });
});

test('Prometheus text: labels, escapes, sums and sums by label', () => {
  const text = [
    '# HELP junction_tee_requests_total Copies',
    '# TYPE junction_tee_requests_total counter',
    'junction_tee_requests_total{route="main",backend="shadow",outcome="sent"} 12',
    'junction_tee_requests_total{route="main",backend="shadow",outcome="failed"} 12',
    'junction_tee_requests_total{route="other",backend="shadow",outcome="failed"} 7',
    'junction_http_requests_total{route="main",backend="up",code="200"} 100',
    'junction_http_requests_total{route="main",backend="up-b",code="200"} 23',
    'junction_odd{path="a\\"b,c=d",x="y"} 1.5',
    'nodejs_heap_size_used_bytes 31457280',
    '',
  ].join('\n');
  const m = parsePromText(text);
  assert.equal(m.length, 7);
  assert.deepEqual(m[5]?.labels, { path: 'a"b,c=d', x: 'y' });
  assert.equal(promSum(m, 'junction_http_requests_total', { route: 'main' }), 123);
  assert.equal(promSum(m, 'nodejs_heap_size_used_bytes'), 31457280);
  assert.equal(promSum(m, 'missing'), undefined);
  assert.deepEqual(promByLabel(m, 'junction_tee_requests_total', 'outcome', { route: 'main', backend: 'shadow' }), { sent: 12, failed: 12 });
});
