import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseScope } from '../../src/lease/lease-scope.js';
import { LeaseTable } from '../../src/lease/lease-table.js';

function table() {
  const cleaned: string[] = [];
  let made = 0;
  const t = new LeaseTable<{ name: string; n: number }>((v) => cleaned.push(`${v.name}#${v.n}`));
  const acquire = (name: string) => t.acquire(name, () => ({ name, n: ++made }));
  return { t, cleaned, acquire };
}

test('a value is shared by its leases and cleaned up when the last one is released', () => {
  const { t, cleaned, acquire } = table();
  const a = acquire('pool');
  const b = acquire('pool');
  assert.equal(a.value, b.value, 'one value per key');
  a.release();
  assert.deepEqual(cleaned, [], 'one lease is still held');
  assert.equal(t.peek('pool'), b.value);
  b.release();
  assert.deepEqual(cleaned, ['pool#1']);
  assert.equal(t.size, 0);
  assert.notEqual(acquire('pool').value, a.value, 'a later acquire makes a new value');
});

test('releasing a lease twice releases it once', () => {
  const { cleaned, acquire } = table();
  const a = acquire('pool');
  const b = acquire('pool');
  a.release();
  a.release();
  assert.deepEqual(cleaned, [], "a's second release does not take b's hold");
  b.release();
  b.release();
  assert.deepEqual(cleaned, ['pool#1'], 'cleaned up once');
});

test('a create() that throws holds nothing', () => {
  const { t } = table();
  assert.throws(() => t.acquire('x', () => {
    throw new Error('no');
  }), /no/);
  assert.equal(t.size, 0);
});

test('a detached value stays with its holders and is cleaned up after them; the key gets a new one', () => {
  const { t, cleaned, acquire } = table();
  const old = acquire('pool');
  t.detach('pool');
  const fresh = acquire('pool');
  assert.notEqual(fresh.value, old.value);
  old.release();
  assert.deepEqual(cleaned, ['pool#1']);
  assert.equal(t.peek('pool'), fresh.value, 'the new value is not touched');
  fresh.release();
  assert.deepEqual(cleaned, ['pool#1', 'pool#2']);
});

test('clear() hands every value back; leases still held then release nothing', () => {
  const { t, cleaned, acquire } = table();
  const a = acquire('a');
  acquire('b');
  assert.deepEqual(t.clear().map((v) => v.name), ['a', 'b']);
  a.release();
  assert.deepEqual(cleaned, []);
  assert.equal(t.size, 0);
});

test('a scope releases what it holds, its child scopes included, once', () => {
  const { cleaned, acquire } = table();
  const scope = new LeaseScope();
  assert.equal(scope.hold(acquire('a')).name, 'a');
  const child = scope.child();
  child.hold(acquire('b'));
  const other = new LeaseScope();
  other.hold(acquire('c'));
  scope.add(other);
  scope.release();
  assert.deepEqual(cleaned, ['c#3', 'b#2', 'a#1'], 'last in, first out');
  scope.release();
  child.release();
  assert.deepEqual(cleaned, ['c#3', 'b#2', 'a#1']);
});

test('a scope releases everything even when a cleanup throws, then rethrows the first error', () => {
  const t = new LeaseTable<string>((v) => {
    if (v !== 'ok') throw new Error(`cleanup of ${v} failed`);
  });
  const scope = new LeaseScope();
  scope.hold(t.acquire('ok', () => 'ok'));
  scope.hold(t.acquire('bad1', () => 'bad1'));
  scope.hold(t.acquire('bad2', () => 'bad2'));
  assert.throws(() => scope.release(), /cleanup of bad2 failed/);
  assert.equal(t.size, 0, 'every lease was released');
});
