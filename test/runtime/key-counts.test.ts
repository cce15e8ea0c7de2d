import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyCounts } from '../../src/runtime/key-counts.js';

test('a key shared by two holders is released only when the last one lets go', () => {
  const k = new KeyCounts();
  k.add(['pool-a', 'pool-b']);
  k.add(['pool-a']);
  const released: string[] = [];
  k.remove(['pool-a', 'pool-b'], released);
  assert.deepEqual(released, ['pool-b']);
  assert.equal(k.has('pool-a'), true);
  k.remove(['pool-a'], released);
  assert.deepEqual(released, ['pool-b', 'pool-a']);
  assert.equal(k.size, 0);
});

test('adding the replacement before removing the old holder keeps the key', () => {
  const k = new KeyCounts();
  k.add(['series:r']);
  k.add(['series:r']); // the rebuilt route
  const released: string[] = [];
  k.remove(['series:r'], released); // the old route part
  assert.deepEqual(released, []);
  assert.deepEqual([...k], ['series:r']);
});

test('removing a key nobody holds changes nothing; it reads as a set', () => {
  const k = new KeyCounts();
  k.add(['x', 'y']);
  const released: string[] = [];
  k.remove(['z'], released);
  assert.deepEqual(released, []);
  assert.deepEqual([...k.keys()].sort(), ['x', 'y']);
  assert.deepEqual([...k.entries()].sort(), [['x', 'x'], ['y', 'y']]);
  const seen: string[] = [];
  k.forEach((v) => seen.push(v));
  assert.deepEqual(seen.sort(), ['x', 'y']);
});
