import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath, type PathOptions } from '../../src/routing/normalize-path.js';

/** RFC 3986 alone: slashes not merged, %2F kept encoded */
const RFC: PathOptions = { mergeSlashes: false, escapedSlashes: 'keep' };

test('a clean path is returned as the same string', () => {
  for (const p of ['/', '/a', '/api/v1/users/42', '/.well-known/acme', '/a/.b/..c/...', '/a.b/c..d']) {
    assert.equal(normalizePath(p), p);
  }
});

test('must start with a slash', () => {
  for (const p of ['', 'a', '*', 'http://h/x', '%2Fa']) assert.equal(normalizePath(p), undefined, p);
});

test('dot segments are removed (RFC 3986 remove_dot_segments)', () => {
  const cases: [string, string][] = [
    ['/.', '/'],
    ['/..', '/'],
    ['/./', '/'],
    ['/../', '/'],
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/..', '/'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/a/b/../../../../c', '/c'],
    ['/a/../../etc/passwd', '/etc/passwd'],
    ['/a/b/c/./../../g', '/a/g'],
    ['/mid/content=5/../6', '/mid/6'],
  ];
  for (const [input, want] of cases) assert.equal(normalizePath(input), want, input);
});

test('percent-encoded dots count as dots', () => {
  assert.equal(normalizePath('/a/%2e%2e/b'), '/b');
  assert.equal(normalizePath('/a/%2E%2E/b'), '/b');
  assert.equal(normalizePath('/a/.%2e/b'), '/b');
  assert.equal(normalizePath('/a/%2e/b'), '/a/b');
  assert.equal(normalizePath('/%2e%2e/%2e%2e/secret'), '/secret');
});

test('without merging, slashes stay and empty segments survive dot removal', () => {
  assert.equal(normalizePath('//a//b', RFC), '//a//b');
  assert.equal(normalizePath('//a/../b', RFC), '//b');
  assert.equal(normalizePath('/a//..', RFC), '/a/');
});

test('by default slashes are merged before dot segments are removed', () => {
  assert.equal(normalizePath('//admin/x'), '/admin/x');
  assert.equal(normalizePath('//a//b'), '/a/b');
  assert.equal(normalizePath('/a///'), '/a/');
  assert.equal(normalizePath('//'), '/');
  assert.equal(normalizePath('//a/../b'), '/b');
  assert.equal(normalizePath('/a//..'), '/');
  assert.equal(normalizePath('/a/b'), '/a/b');
});

test('by default an escaped slash or backslash is refused; kept encoded on request', () => {
  for (const p of ['/a%2fb', '/a%2Fb', '/admin%2Fx', '/a/..%2f..%2fetc', '/a%5cb']) assert.equal(normalizePath(p), undefined, p);
  assert.equal(normalizePath('/a%2fb', RFC), '/a%2Fb');
  assert.equal(normalizePath('/a%5cb', RFC), '/a%5Cb');
});

test('unreserved escapes are decoded, others upper-cased, %2F kept encoded when kept', () => {
  assert.equal(normalizePath('/%41%62%30%2d%5f%7e%2E'), '/Ab0-_~.');
  assert.equal(normalizePath('/a%2fb', RFC), '/a%2Fb');
  assert.equal(normalizePath('/a%2Fb', RFC), '/a%2Fb');
  assert.equal(normalizePath('/a/..%2f..%2fetc', RFC), '/a/..%2F..%2Fetc');
  assert.equal(normalizePath('/caf%c3%a9'), '/caf%C3%A9');
  assert.equal(normalizePath('/100%25'), '/100%25');
  assert.equal(normalizePath('/%252e%252e/x'), '/%252e%252e/x');
  assert.equal(normalizePath('/a%20b'), '/a%20b');
  assert.equal(normalizePath('/a%3Fb'), '/a%3Fb');
});

test('malformed escapes are rejected', () => {
  for (const p of ['/%', '/%4', '/a%zz', '/a%g1', '/a%1', '/%%41', '/a/%2']) assert.equal(normalizePath(p), undefined, p);
});

test('NUL and control characters are rejected, raw or encoded', () => {
  for (const p of ['/a\0b', '/a\nb', '/a\rb', '/a\tb', '/a\x7fb', '/a%00b', '/a%0Ab', '/a%0d%0a', '/a%1F', '/a%7f', '/%2e%2e/\x01']) {
    assert.equal(normalizePath(p), undefined, JSON.stringify(p));
  }
});

test('normalizing is idempotent', () => {
  for (const opts of [RFC, undefined]) {
    for (const p of ['/a/%2e%2e/b%2f', '/x/./y/../%7Ez', '//a/../b', '/a%c3%A9/.', '/']) {
      const once = normalizePath(p, opts);
      if (once === undefined && opts === undefined && p.includes('%2f')) continue; // refused by default
      assert.ok(once !== undefined, p);
      assert.equal(normalizePath(once, opts), once);
    }
  }
});

// RFC 3986 §6.2.2.2 then §5.2.4, written literally (string buffers, rules A-E) as a reference.
function referenceNormalize(raw: string): string {
  const decoded = raw.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  let input = decoded;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = '/' + input.slice(input === '/..' ? 3 : 4);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', 1);
      const seg = next < 0 ? input : input.slice(0, next);
      output += seg;
      input = input.slice(seg.length);
    }
  }
  return output;
}

test('random paths agree with a literal RFC 3986 reference', () => {
  const tokens = ['a', 'b', '.', '..', '%2e', '%2E', '%2e%2e', '.%2E', '%2f', '%41', '', '%7e', 'x%20y', '%c3%a9', '...', '.a'];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let k = 0; k < 5000; k++) {
    let p = '';
    const n = 1 + Math.floor(next() * 6);
    for (let i = 0; i < n; i++) p += '/' + tokens[Math.floor(next() * tokens.length)]!;
    assert.equal(normalizePath(p, RFC), referenceNormalize(p), p);
    // the defaults: refused with an escaped slash, else the reference of the path with slashes merged
    assert.equal(normalizePath(p), /%2f/i.test(p) ? undefined : referenceNormalize(p.replace(/\/{2,}/g, '/')), p);
  }
});
