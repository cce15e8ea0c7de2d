import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer as Server } from '../support/balancing.js';
import { createBalancer, type PickInput } from '../../src/balancing/index.js';


const input: PickInput = { headers: {}, clientIp: '10.0.0.1' };

function servers(weights: Record<string, number>): Server[] {
  return Object.entries(weights).map(([id, w]) => new Server(id, w));
}

function counts(picks: (Server | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of picks) {
    const k = s?.id ?? 'none';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function run(b: { pick(i: PickInput): Server | undefined }, n: number, i: PickInput = input): (Server | undefined)[] {
  return Array.from({ length: n }, () => b.pick(i));
}

test('smooth weighted sequence for {a:5, b:1, c:1} is a a b a c a a, repeating', () => {
  const b = createBalancer('round-robin', servers({ a: 5, b: 1, c: 1 }));
  assert.equal(b.kind, 'round-robin');
  const seq = run(b, 21).map((s) => s?.id).join(' ');
  assert.equal(seq, 'a a b a c a a a a b a c a a a a b a c a a');
});

test('exact counts over a multiple of the weight sum', () => {
  const sets: Record<string, number>[] = [
    { a: 1, b: 1, c: 1 },
    { a: 3, b: 1 },
    { a: 5, b: 1, c: 1 },
    { a: 10, b: 7, c: 3, d: 1 },
    { a: 100, b: 1 },
    { x: 2, y: 3, z: 5, w: 11, v: 13 },
    { a: 1_000_000, b: 999_999 },
  ];
  for (const weights of sets) {
    const sum = Object.values(weights).reduce((x, y) => x + y, 0);
    const cycles = sum > 1000 ? 1 : 7;
    const b = createBalancer('round-robin', servers(weights));
    const got = counts(run(b, sum * cycles));
    const want = Object.fromEntries(Object.entries(weights).map(([id, w]) => [id, w * cycles]));
    assert.deepEqual(got, want, JSON.stringify(weights));
  }
});

test('picks are interleaved, not bursts: equal weights rotate in list order', () => {
  const b = createBalancer('round-robin', servers({ a: 1, b: 1, c: 1, d: 1 }));
  assert.equal(run(b, 8).map((s) => s?.id).join(''), 'abcdabcd');
  const c = createBalancer('round-robin', servers({ a: 2, b: 2, c: 1 }));
  assert.equal(run(c, 10).map((s) => s?.id).join(''), 'abcababcab');
});

test('weight 0 is never picked, and undefined only when nothing is pickable', () => {
  const list = servers({ a: 0, b: 2, c: 1 });
  const b = createBalancer('round-robin', list);
  assert.deepEqual(counts(run(b, 300)), { b: 200, c: 100 });
  const zeros = createBalancer('round-robin', servers({ a: 0, b: 0 }));
  assert.equal(zeros.pick(input), undefined);
  assert.equal(createBalancer('round-robin', []).pick(input), undefined);
});

test('an unavailable server is skipped and its share spread by weight', () => {
  const list = servers({ a: 2, b: 1, c: 3 });
  list[2]!.available = false;
  const b = createBalancer('round-robin', list);
  assert.deepEqual(counts(run(b, 300)), { a: 200, b: 100 });
  for (const s of list) s.available = false;
  assert.equal(b.pick(input), undefined);
});

test('exclude is honoured', () => {
  const b = createBalancer('round-robin', servers({ a: 2, b: 1, c: 1 }));
  const ex: PickInput = { ...input, exclude: new Set(['a']) };
  assert.deepEqual(counts(run(b, 100, ex)), { b: 50, c: 50 });
  const all: PickInput = { ...input, exclude: new Set(['a', 'b', 'c']) };
  assert.equal(b.pick(all), undefined);
  // an empty exclude set changes nothing
  assert.deepEqual(counts(run(createBalancer('round-robin', servers({ a: 2, b: 1 })), 30, { ...input, exclude: new Set() })), {
    a: 20,
    b: 10,
  });
});

test('counts stay exact when a server becomes unavailable midway and when it returns', () => {
  const list = servers({ a: 3, b: 2, c: 1 });
  const b = createBalancer('round-robin', list);
  const first = counts(run(b, 60)); // 10 cycles
  assert.deepEqual(first, { a: 30, b: 20, c: 10 });
  list[1]!.available = false; // b leaves: a and c share 3:1
  const during = counts(run(b, 400));
  assert.deepEqual(during, { a: 300, c: 100 });
  list[1]!.available = true; // b returns with its frozen state: the cycle is exact again
  const after = counts(run(b, 600));
  assert.deepEqual(after, { a: 300, b: 200, c: 100 });
});
