import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer as Server, seeded } from '../support/balancing.js';
import { createBalancer, type Balancer, type PickInput } from '../../src/balancing/index.js';



function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const KEYS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const req = (key: string): PickInput => ({ headers: { 'x-user-id': key }, clientIp: '10.0.0.1' });
const hashBy = (servers: readonly Server[]): Balancer<Server> =>
  createBalancer('hash', servers, { hashKey: 'header:x-user-id' });

function assignment(b: Balancer<Server>, keys = KEYS, extra: Partial<PickInput> = {}): string[] {
  return keys.map((k) => b.pick({ ...req(k), ...extra })?.id ?? 'none');
}

function countsOf(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i + 1}`);

test('same key, same server: across calls and across rebuilds in any order', () => {
  const base = hashBy(ids(6).map((id) => new Server(id)));
  assert.equal(base.kind, 'hash');
  const want = assignment(base);
  assert.deepEqual(assignment(base), want, 'repeated calls');
  const random = seeded(11);
  for (let round = 0; round < 5; round++) {
    const rebuilt = hashBy(shuffled(ids(6), random).map((id) => new Server(id)));
    assert.deepEqual(assignment(rebuilt), want, `rebuild ${round}`);
  }
});

test('equal weights spread 10,000 keys evenly (chi-square, 3 df, p = 0.001)', () => {
  const counts = countsOf(assignment(hashBy(ids(4).map((id) => new Server(id)))));
  const chi2 = [...counts.values()].reduce((acc, c) => acc + (c - 2_500) ** 2 / 2_500, 0);
  assert.equal(counts.size, 4);
  assert.ok(chi2 < 16.27, `counts ${[...counts.values()].join(',')} chi2 ${chi2}`);
});

test('adding a 5th server to 4 moves ~1/5 of the keys, all onto the new server', () => {
  const before = assignment(hashBy(ids(4).map((id) => new Server(id))));
  const after = assignment(hashBy(ids(5).map((id) => new Server(id))));
  let moved = 0;
  for (let i = 0; i < KEYS.length; i++) {
    if (before[i] !== after[i]) {
      moved++;
      assert.equal(after[i], 's5', `key ${KEYS[i]} moved ${before[i]} -> ${after[i]}`);
    }
  }
  // expected 2000, binomial sd = sqrt(10000 · 0.2 · 0.8) = 40: tolerance ±200 (5 sd)
  assert.ok(Math.abs(moved - 2_000) <= 200, `moved ${moved}`);
});

test('removing a server moves only its keys, spread over the others', () => {
  const before = assignment(hashBy(ids(5).map((id) => new Server(id))));
  const after = assignment(hashBy(ids(5).filter((id) => id !== 's3').map((id) => new Server(id))));
  const landed = new Map<string, number>();
  for (let i = 0; i < KEYS.length; i++) {
    if (before[i] === 's3') landed.set(after[i]!, (landed.get(after[i]!) ?? 0) + 1);
    else assert.equal(after[i], before[i], `key ${KEYS[i]} of ${before[i]} moved`);
  }
  assert.deepEqual([...landed.keys()].sort(), ['s1', 's2', 's4', 's5']);
  const moved = [...landed.values()].reduce((a, b) => a + b, 0);
  for (const [id, n] of landed) assert.ok(Math.abs(n / moved - 0.25) < 0.05, `${id} took ${n} of ${moved}`);
});

test('weights 3:1 give 75/25 of 10,000 keys within ±2.5 points (sd 0.43 points)', () => {
  const counts = countsOf(assignment(hashBy([new Server('big', 3), new Server('small', 1)])));
  const share = (counts.get('big') ?? 0) / KEYS.length;
  assert.ok(Math.abs(share - 0.75) <= 0.025, `big share ${share}`);
});

test('weights 5:3:2 over 20,000 keys within ±2 points each', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}`);
  const b = hashBy([new Server('a', 5), new Server('b', 3), new Server('c', 2)]);
  const counts = countsOf(assignment(b, keys));
  for (const [id, w] of [['a', 0.5], ['b', 0.3], ['c', 0.2]] as const) {
    const share = (counts.get(id) ?? 0) / keys.length;
    assert.ok(Math.abs(share - w) <= 0.02, `${id} share ${share}`);
  }
});

test('changing one weight moves keys only to or from that server', () => {
  const before = assignment(hashBy([new Server('a'), new Server('b'), new Server('c')]));
  const after = assignment(hashBy([new Server('a'), new Server('b', 2), new Server('c')]));
  for (let i = 0; i < KEYS.length; i++) {
    if (before[i] !== after[i]) assert.equal(after[i], 'b', `key ${KEYS[i]}: ${before[i]} -> ${after[i]}`);
  }
});

test('unavailable or excluded target: the next server for that key, deterministic, as if it were removed', () => {
  const list = ids(5).map((id) => new Server(id));
  const b = hashBy(list);
  const want = assignment(b);
  const withoutS2 = assignment(hashBy(list.filter((s) => s.id !== 's2')));
  list[1]!.available = false;
  const got = assignment(b);
  assert.deepEqual(got, withoutS2);
  assert.deepEqual(assignment(b), got, 'same fallback every time');
  const rebuilt = hashBy(shuffled(list, seeded(12)));
  assert.deepEqual(assignment(rebuilt), got, 'same fallback after a rebuild in another order');
  list[1]!.available = true;
  assert.deepEqual(assignment(b), want, 'keys return when the server does');
  assert.deepEqual(assignment(b, KEYS, { exclude: new Set(['s2']) }), withoutS2, 'exclude behaves like unavailable');
  // retry chain: excluding the first and second choices gives the third, never a repeat
  const k = req('user-42');
  const first = b.pick(k)!.id;
  const second = b.pick({ ...k, exclude: new Set([first]) })!.id;
  const third = b.pick({ ...k, exclude: new Set([first, second]) })!.id;
  assert.equal(new Set([first, second, third]).size, 3);
});

test('weight 0 is never picked; nothing pickable gives undefined', () => {
  const list = [new Server('a', 0), new Server('b'), new Server('c')];
  const counts = countsOf(assignment(hashBy(list)));
  assert.equal(counts.get('a'), undefined);
  for (const s of list) s.available = false;
  assert.equal(hashBy(list).pick(req('x')), undefined);
  assert.equal(hashBy([]).pick(req('x')), undefined);
  assert.equal(hashBy([]).pick({ headers: {}, clientIp: '' }), undefined);
});

test('a request without the key is balanced by smooth weighted round-robin', () => {
  const list = [new Server('a', 5), new Server('b', 1), new Server('c', 1)];
  const b = hashBy(list);
  const noKey: PickInput = { headers: {}, clientIp: '10.0.0.1' };
  const seq = Array.from({ length: 14 }, () => b.pick(noKey)!.id).join(' ');
  assert.equal(seq, 'a a b a c a a a a b a c a a');
  const empty: PickInput = { headers: { 'x-user-id': '  ' }, clientIp: '10.0.0.1' };
  assert.equal(b.pick(empty)!.id, 'a', 'an empty key counts as missing');
  list[0]!.available = false;
  assert.equal(b.pick(noKey)!.id !== 'a', true);
});

test('cookie key: hashed on the cookie value, same server as the same value in a header', () => {
  const list = ids(7).map((id) => new Server(id));
  const byCookie = createBalancer('hash', list, { hashKey: 'cookie:sid' });
  const byHeader = hashBy(list);
  for (const key of KEYS.slice(0, 500)) {
    const cookie = `theme=dark; sid=${key}; lang=en`;
    const viaCookie = byCookie.pick({ headers: { cookie }, clientIp: '10.0.0.9' });
    assert.equal(viaCookie, byHeader.pick(req(key)), key);
    assert.equal(byCookie.pick({ headers: { cookie: `sid=${key}` }, clientIp: '10.9.9.9' }), viaCookie);
  }
});

test('ip key: the client address decides; IPv4-mapped IPv6 is the same client', () => {
  const list = ids(5).map((id) => new Server(id));
  const b = createBalancer('hash', list, { hashKey: 'ip' });
  const addrs = Array.from({ length: 2_000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.7`);
  const counts = new Map<string, number>();
  for (const ip of addrs) {
    const s = b.pick({ headers: {}, clientIp: ip })!;
    assert.equal(b.pick({ headers: { 'x-user-id': 'ignored' }, clientIp: ip }), s);
    assert.equal(b.pick({ headers: {}, clientIp: `::ffff:${ip}` }), s);
    counts.set(s.id, (counts.get(s.id) ?? 0) + 1);
  }
  for (const [id, n] of counts) assert.ok(Math.abs(n - 400) < 100, `${id}: ${n}`);
  assert.equal(counts.size, 5);
  // hash without a hashKey hashes the client address
  const dflt = createBalancer('hash', list);
  for (const ip of addrs.slice(0, 100)) assert.equal(dflt.pick({ headers: {}, clientIp: ip }), b.pick({ headers: {}, clientIp: ip }));
});
