import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBatcher } from '../../src/observability/line-batcher.js';
import { waitFor } from '../support/wait.js';

function recorder(): { chunks: string[]; write(c: string): void } {
  const chunks: string[] = [];
  return { chunks, write: (c) => chunks.push(c) };
}

test('lines leave together after the delay, in order, as one write', async () => {
  const dest = recorder();
  const b = new LineBatcher(dest, 16_384, 20);
  const started = performance.now();
  for (let i = 0; i < 5; i++) b.write(`{"n":${i}}\n`);
  assert.deepEqual(dest.chunks, [], 'nothing is written synchronously');
  await waitFor('the batch to be written', () => dest.chunks.length > 0, 5000, 1);
  // a timer never fires early; 1 ms of slack for the clocks' rounding
  assert.ok(performance.now() - started >= 19, `written ${performance.now() - started} ms after the first line`);
  assert.deepEqual(dest.chunks, ['{"n":0}\n{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n']);
});

test('a write never exceeds maxBytes (counted in UTF-8 bytes) and never splits a line', () => {
  const dest = recorder();
  const b = new LineBatcher(dest, 100, 10_000);
  const lines = Array.from({ length: 40 }, (_, i) => `{"i":${i},"u":"${'é'.repeat(i % 7)}"}\n`);
  for (const l of lines) b.write(l);
  b.flush();
  assert.equal(dest.chunks.join(''), lines.join(''), 'every line, in order');
  for (const c of dest.chunks) {
    assert.ok(Buffer.byteLength(c) <= 100, `chunk of ${Buffer.byteLength(c)} bytes`);
    assert.ok(c.endsWith('\n'));
  }
  assert.ok(dest.chunks.length > 1);
});

test('a single line longer than maxBytes goes out whole, alone', () => {
  const dest = recorder();
  const b = new LineBatcher(dest, 50, 10_000);
  b.write('short\n');
  const long = `${'x'.repeat(120)}\n`;
  b.write(long);
  b.write('after\n');
  b.flush();
  assert.deepEqual(dest.chunks, ['short\n', long, 'after\n']);
});

test('flush() with nothing pending writes nothing', () => {
  const dest = recorder();
  new LineBatcher(dest, 50, 10).flush();
  assert.deepEqual(dest.chunks, []);
});
