import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer as Server, seeded } from '../support/balancing.js';
import { createBalancer, type PickInput } from '../../src/balancing/index.js';



const input: PickInput = { headers: {}, clientIp: '10.0.0.1' };

function tally(list: readonly Server[], pick: () => Server | undefined, n: number): number[] {
  const out = list.map(() => 0);
  for (let i = 0; i < n; i++) {
    const s = pick();
    assert.ok(s, 'a server is pickable');
    out[list.indexOf(s)]!++;
  }
  return out;
}

/** Pearson's chi-square statistic against a uniform expectation. */
function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((acc, c) => acc + ((c - e) * (c - e)) / e, 0);
}

// Critical values of chi-square at p = 0.001: a fair balancer fails these 1 time in 1000 seeds.
const CHI2_001 = { 2: 13.82, 4: 18.47 } as const;

test('equal loads spread evenly over 10,000 picks (chi-square, p = 0.001)', () => {
  const list = ['a', 'b', 'c', 'd', 'e'].map((id) => new Server(id));
  const b = createBalancer('least-request', list, { random: seeded(1) });
  assert.equal(b.kind, 'least-request');
  const counts = tally(list, () => b.pick(input), 10_000);
  assert.ok(chiSquareUniform(counts) < CHI2_001[4], `counts ${counts.join(',')}`);
});

test('a server with many requests in flight gets none while the others are idle', () => {
  const list = ['a', 'b', 'c', 'd'].map((id) => new Server(id));
  for (let i = 0; i < 50; i++) list[0]!.load.begin();
  const b = createBalancer('least-request', list, { random: seeded(2) });
  const counts = tally(list, () => b.pick(input), 10_000);
  assert.equal(counts[0], 0);
  assert.ok(chiSquareUniform(counts.slice(1)) < CHI2_001[2], `counts ${counts.join(',')}`);
});

test('under concurrency, a server whose requests stay in flight longer gets far fewer', () => {
  // closed loop: each tick sends one request; a's requests last 20 ticks, the others' 1 tick.
  const list = ['a', 'b', 'c', 'd'].map((id) => new Server(id));
  const b = createBalancer('least-request', list, { random: seeded(3) });
  const ends: { at: number; s: Server }[] = [];
  const counts = [0, 0, 0, 0];
  for (let tick = 0; tick < 10_000; tick++) {
    for (let i = ends.length - 1; i >= 0; i--) {
      if (ends[i]!.at <= tick) {
        ends[i]!.s.load.end(1);
        ends.splice(i, 1);
      }
    }
    const s = b.pick(input)!;
    s.load.begin();
    ends.push({ at: tick + (s.id === 'a' ? 20 : 1), s });
    counts[list.indexOf(s)]!++;
  }
  assert.ok(counts[0]! < 10_000 * 0.05, `slow server got ${counts[0]} of 10000`);
});

test('weights: inFlight/weight is compared, ties go to the heavier server', () => {
  const heavy = new Server('heavy', 3);
  const light = new Server('light', 1);
  const b = createBalancer('least-request', [light, heavy], { random: seeded(4) });
  assert.equal(b.pick(input), heavy); // 0/3 vs 0/1: tie, heavier wins
  heavy.load.begin(); // 1/3 vs 0/1
  assert.equal(b.pick(input), light);
  light.load.begin(); // 1/3 vs 1/1
  assert.equal(b.pick(input), heavy);
  heavy.load.begin();
  heavy.load.begin(); // 3/3 vs 1/1: tie, heavier wins
  assert.equal(b.pick(input), heavy);
  heavy.load.begin(); // 4/3 vs 1/1
  assert.equal(b.pick(input), light);
});

test('weighted: with steady concurrency, in-flight requests settle in proportion to weight', () => {
  const list = [new Server('a', 3), new Server('b', 1)];
  const b = createBalancer('least-request', list, { random: seeded(5) });
  const ends: { at: number; s: Server }[] = [];
  const counts = [0, 0];
  for (let tick = 0; tick < 20_000; tick++) {
    while (ends.length > 0 && ends[0]!.at <= tick) ends.shift()!.s.load.end(1);
    for (let k = 0; k < 4; k++) {
      const s = b.pick(input)!;
      s.load.begin();
      ends.push({ at: tick + 10, s }); // every request lasts 10 ticks: ~40 in flight
      counts[list.indexOf(s)]!++;
    }
  }
  const share = counts[0]! / (counts[0]! + counts[1]!);
  assert.ok(Math.abs(share - 0.75) < 0.02, `heavy share ${share}`);
});

test('one pickable server is returned; none pickable gives undefined', () => {
  const list = ['a', 'b', 'c'].map((id) => new Server(id));
  const b = createBalancer('least-request', list, { random: seeded(6) });
  list[0]!.available = false;
  list[2]!.available = false;
  for (let i = 0; i < 100; i++) assert.equal(b.pick(input), list[1]);
  assert.equal(b.pick({ ...input, exclude: new Set(['b']) }), undefined);
  list[1]!.available = false;
  assert.equal(b.pick(input), undefined);
  assert.equal(createBalancer('least-request', [], {}).pick(input), undefined);
  const single = new Server('only');
  assert.equal(createBalancer('least-request', [single]).pick(input), single);
});

test('draws stay uniform over the pickable set when most servers are unavailable', () => {
  const list = Array.from({ length: 20 }, (_, i) => new Server(`s${i}`));
  for (const s of list) s.available = false;
  const up = [list[3]!, list[11]!, list[17]!];
  for (const s of up) s.available = true;
  const b = createBalancer('least-request', list, { random: seeded(7) });
  const counts = tally(list, () => b.pick(input), 10_000);
  const upCounts = up.map((s) => counts[list.indexOf(s)]!);
  assert.equal(upCounts.reduce((x, y) => x + y, 0), 10_000);
  assert.ok(chiSquareUniform(upCounts) < CHI2_001[2], `counts ${upCounts.join(',')}`);
});

test('weight 0 and excluded servers are never picked', () => {
  const list = [new Server('a', 0), new Server('b'), new Server('c'), new Server('d')];
  const b = createBalancer('least-request', list, { random: seeded(8) });
  const counts = tally(list, () => b.pick({ ...input, exclude: new Set(['c']) }), 5_000);
  assert.equal(counts[0], 0);
  assert.equal(counts[2], 0);
  assert.equal(counts[1]! + counts[3]!, 5_000);
});
