// rewrite-path matches with RE2 (linear time) and replaces like JavaScript's String.replace with a
// non-global RegExp, for every pattern both engines read the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FilterExchange, FilterModule } from '../../src/filters/types.js';
import { startTestJunction } from '../support/junction.js';

const mod = ((await import(new URL('../../../filters/rewrite-path.js', import.meta.url).href)) as { default: FilterModule<{ pattern: string; replacement: string }> }).default;

function rewrite(pattern: string, replacement: string, path: string): string {
  const f = mod.create({ pattern, replacement }, { id: 't', logger: { debug() {}, info() {}, warn() {}, error() {} }, now: Date.now });
  const ex = { path, query: '', headers: {} } as unknown as FilterExchange;
  void f.onRequest?.(ex);
  return ex.path;
}

test('the replacement resolves $n, $<name>, $& and $$ as JavaScript does', () => {
  assert.equal(rewrite('^/old/(.*)$', '/new/$1', '/old/a/b'), '/new/a/b');
  assert.equal(rewrite('/(?P<v>v[0-9])/', '/$<v>-x/', '/api/v2/users'), '/api/v2-x/users');
  assert.equal(rewrite('/b/', '[$&]$$', '/a/b/c'), '/a[/b/]$c');
  assert.equal(rewrite('^/x', 'y', '/x/z'), '/y/z', 'a result without a leading slash gets one');
  assert.equal(rewrite('^/nomatch', '/y', '/x'), '/x');
});

test('property: the same result as String.replace for patterns both engines share', () => {
  const atom = fc.constantFrom('a', 'b', '/', '\\.', '[ab]', '(a)', '(b|/)', '([ab]+)', '.');
  const pattern = fc.array(fc.tuple(atom, fc.constantFrom('', '?', '*', '+')).map(([a, q]) => a + q), { minLength: 1, maxLength: 5 }).map((xs) => xs.join(''));
  const replacement = fc.array(fc.constantFrom('/', 'x', '$1', '$2', '$&', '$$', '$9', '$12', '$0', '$'), { maxLength: 5 }).map((xs) => xs.join(''));
  const path = fc.stringMatching(/^\/[ab/.]{0,10}$/);
  fc.assert(
    fc.property(pattern, replacement, path, (p, r, x) => {
      let expected = x.replace(new RegExp(p), r);
      if (!expected.startsWith('/')) expected = '/' + expected;
      assert.equal(rewrite(p, r, x), expected, `${p} -> ${r} on ${x}`);
    }),
    { numRuns: 3000 },
  );
});

test('a catastrophic pattern returns at once; one RE2 cannot take is rejected by key and field', async () => {
  assert.equal(rewrite('^/(a+)+$', '/x', `/${'a'.repeat(5000)}!`), `/${'a'.repeat(5000)}!`);
  const j = await startTestJunction();
  try {
    await j.applied(await j.put('filters/lookahead', { type: 'rewrite-path', config: { pattern: '^/a(?=b)', replacement: '/' } }));
    const issue = j.snapshot()?.issues.find((i) => i.key === '/junction/filters/lookahead');
    assert.equal(issue?.field, 'config.pattern');
    assert.equal(issue?.code, 'invalid_value');
  } finally {
    await j.stop();
  }
});
