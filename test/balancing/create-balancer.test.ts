import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer as Server, seeded } from '../support/balancing.js';
import {
  BALANCER_KINDS,
  BalancerConfigError,
  createBalancer,
  ServerLoad,
  type BalancerKind,
  type BalancerKindMatchesSchema,
  type Pickable,
  type PickInput,
} from '../../src/balancing/index.js';



test('builds every kind the schema names', () => {
  const schemaAndKindsAgree: BalancerKindMatchesSchema = true; // a compile error if the schema gains a balancer
  assert.ok(schemaAndKindsAgree);
  assert.deepEqual([...BALANCER_KINDS], ['round-robin', 'least-request', 'ewma', 'hash']);
  for (const kind of BALANCER_KINDS) assert.equal(createBalancer(kind, [], { hashKey: 'ip' }).kind, kind);
});

test('typed errors: unknown balancer, invalid hashKey', () => {
  assert.throws(
    () => createBalancer('random' as BalancerKind, []),
    (e: unknown) => e instanceof BalancerConfigError && e.code === 'unknown_balancer',
  );
  assert.throws(
    () => createBalancer('hash', [], { hashKey: 'query:x' }),
    (e: unknown) => e instanceof BalancerConfigError && e.code === 'invalid_hash_key',
  );
  // hashKey is only read by `hash`
  assert.equal(createBalancer('round-robin', [], { hashKey: 'query:x' }).kind, 'round-robin');
});

test('every kind: picks only pickable servers, and undefined exactly when none is', () => {
  const random = seeded(99);
  for (const kind of BALANCER_KINDS) {
    const list = Array.from({ length: 6 }, (_, i) => new Server(`s${i}`, i % 3));
    const b = createBalancer(kind, list, { hashKey: 'header:x-k', random });
    for (let round = 0; round < 3_000; round++) {
      for (const s of list) s.available = random() < 0.5;
      const exclude = new Set(list.filter(() => random() < 0.2).map((s) => s.id));
      const input: PickInput = { headers: random() < 0.5 ? { 'x-k': `k${round}` } : {}, clientIp: '10.1.1.1', exclude };
      const pickable = list.filter((s) => s.weight > 0 && s.available && !exclude.has(s.id));
      const got = b.pick(input);
      if (pickable.length === 0) assert.equal(got, undefined, `${kind} round ${round}`);
      else assert.ok(got !== undefined && pickable.includes(got), `${kind} round ${round}: ${got?.id}`);
    }
  }
});

/** A TestServer that counts how often a balancer asks whether it is available. */
class CountingServer extends Server {
  checks = 0;
  override isAvailable(): boolean {
    this.checks++;
    return super.isAvailable();
  }
}

test('picks are cheap: round-robin and hash look at each server at most once, least-request and ewma at two', (t) => {
  const n = 50;
  const picks = 2_000;
  const inputs: PickInput[] = [
    { headers: { 'x-k': 'user-12345', cookie: 'a=1; sid=abc' }, clientIp: '10.0.0.1' },
    { headers: {}, clientIp: '10.0.0.2' }, // hash without its key falls back to round-robin
  ];
  for (const kind of BALANCER_KINDS) {
    for (const input of inputs) {
      const list = Array.from({ length: n }, (_, i) => new CountingServer(`server-${i}`, 1 + (i % 4)));
      const b = createBalancer(kind, list, { hashKey: 'header:x-k', random: seeded(7) });
      for (let p = 0; p < picks; p++) {
        for (const s of list) s.checks = 0;
        assert.ok(b.pick(input) !== undefined);
        const total = list.reduce((a, s) => a + s.checks, 0);
        const most = Math.max(...list.map((s) => s.checks));
        if (kind === 'least-request' || kind === 'ewma') {
          // power of two choices with every server pickable: two draws, no scan of the list
          assert.equal(total, 2, `${kind}: pick ${p} looked at ${total} servers`);
        } else {
          assert.ok(most <= 1 && total <= n, `${kind}: pick ${p} looked at ${total} servers, one of them ${most} times`);
        }
      }
    }
  }

  // the time per pick is for bench/, not for a test: reported, never asserted
  const list = Array.from({ length: n }, (_, i) => new Server(`server-${i}`, 1 + (i % 4)));
  const lines: string[] = [];
  for (const kind of BALANCER_KINDS) {
    const b = createBalancer(kind, list, { hashKey: 'header:x-k' });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 50_000; i++) b.pick(inputs[0]!);
    lines.push(`${kind}: ${(Number(process.hrtime.bigint() - t0) / 50_000).toFixed(0)} ns/pick`);
  }
  t.diagnostic(`${n} servers: ${lines.join(', ')}`);
});
