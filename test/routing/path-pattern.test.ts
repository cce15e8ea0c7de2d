// pathRegex is matched by RE2 (linear time): the patterns that freeze a backtracking engine answer
// at once, RE2-only syntax is refused with a typed error, and the literal-prefix shortcut never
// refuses a path the pattern matches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePathRegex, literalPrefixOf, literalPrefixesOf } from '../../src/routing/path-pattern.js';
import { InvalidRegexError } from '../../src/routing/errors.js';

test('catastrophic patterns of a backtracking engine answer in linear time', () => {
  for (const [source, input] of [
    ['/(a+)+', `/${'a'.repeat(5000)}!`],
    ['/(a|aa)+', `/${'a'.repeat(5000)}!`],
    ['/(.*a){12}', `/${'a'.repeat(5000)}`],
    ['/([a-z]+)*[0-9]', `/${'x'.repeat(5000)}`],
  ] as const) {
    const p = compilePathRegex(source);
    // A backtracking engine needs 2^5000 steps here; RE2 a few per character. The bound is a
    // generous sanity check of "it returns", not a performance goal (those live in bench/).
    const started = process.hrtime.bigint();
    const matched = p.test(input);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(typeof matched, 'boolean');
    assert.ok(ms < 2000, `${source} took ${ms} ms`);
  }
  assert.equal(compilePathRegex('/(a+)+').test('/aaaa'), true);
  assert.equal(compilePathRegex('/(a+)+').test('/aaaa!'), false);
});

test('syntax RE2 does not have is refused with a typed error naming the field', () => {
  for (const bad of ['/a(?=b)', '/a(?!b)', '/(?<=a)b', '/(a)\\1', '/a++']) {
    assert.throws(
      () => compilePathRegex(bad),
      (err: unknown) => err instanceof InvalidRegexError && err.field === 'match.pathRegex' && err.code === 'invalid_regex',
      bad,
    );
  }
});

test('a pattern is a full match of the path', () => {
  const p = compilePathRegex('/v[12]/.*');
  assert.equal(p.test('/v1/a'), true);
  assert.equal(p.test('/x/v1/a'), false);
  assert.equal(compilePathRegex('/a|/b').test('/a'), true);
  assert.equal(compilePathRegex('/a|/b').test('/ab'), false);
});

test('the literal prefix is what every match starts with', () => {
  assert.equal(literalPrefixOf('/api/v[0-9]+/users'), '/api/v');
  assert.equal(literalPrefixOf('/static/.*\\.(css|js)'), '/static/');
  assert.equal(literalPrefixOf('/ab*c'), '/a');
  assert.equal(literalPrefixOf('/a\\.b/c'), '/a.b/c');
  assert.equal(literalPrefixOf('/a|/b'), '');
  assert.equal(literalPrefixOf('(/a|/b)/c'), '');
  assert.deepEqual(literalPrefixesOf('/x/(a|b)'), ['/x/a', '/x/b']);
  assert.equal(literalPrefixOf('/x[|]y'), '/x');
  assert.equal(literalPrefixOf('/x\\d'), '/x');
  assert.equal(literalPrefixOf('/x{2}'), '/');
  assert.deepEqual(literalPrefixesOf('/(users|accounts)/[0-9]+'), ['/users/', '/accounts/']);
  assert.deepEqual(literalPrefixesOf('/api/(?:v1|v2)/(a|b)c'), ['/api/v1/ac', '/api/v1/bc', '/api/v2/ac', '/api/v2/bc']);
  assert.deepEqual(literalPrefixesOf('/(users|accounts)?/x'), ['/']);
  assert.deepEqual(literalPrefixesOf('/(u+|a)/x'), ['/']);
  assert.deepEqual(literalPrefixesOf('/(?i)abc'), ['/']);
});

test('property: the prefix shortcut never refuses a path the pattern matches', () => {
  const atom = fc.oneof(
    fc.constantFrom('a', 'b', '/', '.', '\\.', '[ab]', '[^a]', '\\d', '(a|b)', '(/|a)', 'x', '(?:ab|b)', '(a|)', '(|b/)'),
    fc.constantFrom('a', 'b', '/'),
  );
  const piece = fc.tuple(atom, fc.constantFrom('', '', '', '?', '*', '+', '{1,2}')).map(([a, q]) => a + q);
  const pattern = fc.array(piece, { minLength: 1, maxLength: 6 }).chain((pieces) =>
    fc.boolean().map((alt) => (alt ? `${pieces.join('')}|/b` : pieces.join(''))),
  );
  const path = fc.stringMatching(/^[ab/.x0-9]{0,8}$/);
  fc.assert(
    fc.property(pattern, fc.array(path, { minLength: 1, maxLength: 20 }), (source, paths) => {
      const p = compilePathRegex(source);
      const js = new RegExp(`^(?:${source})$`); // these patterns mean the same in both engines
      for (const x of paths) assert.equal(p.test(x), js.test(x), `${source} on ${JSON.stringify(x)}`);
    }),
    { numRuns: 2000 },
  );
});
