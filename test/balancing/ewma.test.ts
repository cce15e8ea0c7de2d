import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, seeded } from '../support/balancing.js';
import { createBalancer, type PickInput } from '../../src/balancing/index.js';

class Clock {
  t = 1_000;
  readonly now = (): number => this.t;
}

class Server extends TestServer {
  constructor(id: string, clock: Clock, weight = 1) {
    super(id, weight, clock.now);
  }
}


const input: PickInput = { headers: {}, clientIp: '10.0.0.1' };

/** Closed loop: one request per ms, each finishing after its server's latency. Returns pick counts by id. */
function simulate(
  b: { pick(i: PickInput): Server | undefined },
  clock: Clock,
  latency: (s: Server) => number,
  requests: number,
): Map<string, number> {
  const counts = new Map<string, number>();
  const pending: { at: number; s: Server; started: number }[] = [];
  for (let n = 0; n < requests; n++) {
    clock.t += 1;
    for (let i = pending.length - 1; i >= 0; i--) {
      const p = pending[i]!;
      if (p.at <= clock.t) {
        p.s.load.end(clock.t - p.started);
        pending.splice(i, 1);
      }
    }
    const s = b.pick(input)!;
    s.load.begin();
    pending.push({ at: clock.t + latency(s), s, started: clock.t });
    counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
  }
  return counts;
}

test('a slow server gets a small share once it has samples', () => {
  const clock = new Clock();
  const list = ['a', 'b', 'c', 'slow'].map((id) => new Server(id, clock));
  const b = createBalancer('ewma', list, { random: seeded(1) });
  assert.equal(b.kind, 'ewma');
  const counts = simulate(b, clock, (s) => (s.id === 'slow' ? 200 : 5), 10_000);
  const slow = counts.get('slow') ?? 0;
  assert.ok(slow >= 1, 'the slow server was tried');
  assert.ok(slow < 10_000 * 0.02, `slow server got ${slow} of 10000`);
  for (const id of ['a', 'b', 'c']) assert.ok((counts.get(id) ?? 0) > 2_500, `${id}: ${counts.get(id)}`);
});

test('equally fast servers share evenly', () => {
  const clock = new Clock();
  const list = ['a', 'b', 'c', 'd'].map((id) => new Server(id, clock));
  const b = createBalancer('ewma', list, { random: seeded(2) });
  const counts = simulate(b, clock, () => 3, 10_000);
  for (const s of list) {
    const c = counts.get(s.id) ?? 0;
    assert.ok(Math.abs(c - 2_500) < 250, `${s.id}: ${c} (tolerance ±10%)`);
  }
});

test('a server with no sample yet is tried, once, until its first answer', () => {
  const clock = new Clock();
  const list = ['a', 'b', 'c', 'd', 'e'].map((id) => new Server(id, clock));
  for (const s of list.slice(0, 4)) {
    s.load.begin();
    s.load.end(5);
  }
  const fresh = list[4]!;
  const b = createBalancer('ewma', list, { random: seeded(3) });
  let first = -1;
  let picksWhilePending = 0;
  for (let i = 0; i < 200; i++) {
    const s = b.pick(input)!;
    if (s === fresh) {
      if (first < 0) first = i;
      else picksWhilePending++;
    }
    if (s === fresh && first === i) s.load.begin(); // its first request hangs
  }
  assert.ok(first >= 0 && first < 20, `fresh server first picked at ${first}`);
  assert.equal(picksWhilePending, 0, 'no flood onto a server whose first request is pending');
  fresh.load.end(5); // it answers like the others: now it competes normally
  let after = 0;
  for (let i = 0; i < 1_000; i++) if (b.pick(input) === fresh) after++;
  assert.ok(after > 100, `fresh server after its first answer: ${after} of 1000`);
});

test('fast failures count as the penalty latency, not as fast answers', () => {
  const clock = new Clock();
  const list = ['a', 'b', 'bad'].map((id) => new Server(id, clock));
  const b = createBalancer('ewma', list, { random: seeded(4) });
  const counts = new Map<string, number>();
  for (let n = 0; n < 5_000; n++) {
    clock.t += 1;
    const s = b.pick(input)!;
    s.load.begin();
    if (s.id === 'bad') s.load.end(0.1, true);
    else s.load.end(20);
    counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
  }
  assert.ok((counts.get('bad') ?? 0) <= 2, `failing server got ${counts.get('bad')}`);
});

test('a slow server is probed again once its estimate has decayed (time constant 10 s)', () => {
  const clock = new Clock();
  const fast = new Server('fast', clock);
  const slow = new Server('slow', clock);
  const sample = (s: Server, ms: number): void => {
    s.load.begin();
    s.load.end(ms);
  };
  sample(fast, 10);
  sample(slow, 1_000);
  const b = createBalancer('ewma', [fast, slow], { random: seeded(5) });
  assert.equal(b.pick(input), fast);
  // fast keeps answering in 10 ms; slow, avoided, gets no new sample and its estimate decays:
  // 1000·e^(-t/10 s) falls below 10 after t = 10 s · ln(100) ≈ 46 s.
  clock.t += 40_000;
  sample(fast, 10);
  assert.equal(b.pick(input), fast, 'after 40 s slow still costs ~18 ms');
  clock.t += 10_000;
  sample(fast, 10);
  assert.equal(b.pick(input), slow, 'after 50 s slow costs ~6.7 ms and gets a probe');
  // the probe is slow again: the peak sample puts it straight back to 1000
  sample(slow, 1_000);
  assert.equal(b.pick(input), fast);
});

test('weights divide the cost: a heavier server may carry proportionally more load', () => {
  const clock = new Clock();
  const heavy = new Server('heavy', clock, 4);
  const light = new Server('light', clock, 1);
  for (const s of [heavy, light]) {
    s.load.begin();
    s.load.end(10);
  }
  for (let i = 0; i < 3; i++) heavy.load.begin(); // heavy 10·4/4 = 10 vs light 10·1/1 = 10: tie, heavier wins
  const b = createBalancer('ewma', [light, heavy], { random: seeded(6) });
  assert.equal(b.pick(input), heavy);
  heavy.load.begin(); // heavy 50/4 > 10
  assert.equal(b.pick(input), light);
});
