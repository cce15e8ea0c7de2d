// Property-based fuzzing of what a client controls on the way in: the path (slashes, escapes,
// dots) and the Connection header. (Bad input, round two: the cases of test/faults/bad-input-2.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizePath } from '../../src/routing/normalize-path.js';
import { namedByClient } from '../../src/http/hop-by-hop.js';
import { upstreamHeadersFromRaw } from '../../src/http/header-policy.js';

const segment = fc.constantFrom('a', 'admin', '', '.', '..', '%2e', '%2E%2e', '%2f', '%2F', '%5c', '%41', 'x%20y', '%00', '~', '%7e');

test('normalized paths (defaults) have no empty segment, no escaped slash, no dot segment, and normalize to themselves', () => {
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), fc.boolean(), (segs, trailing) => {
      const raw = '/' + segs.join('/') + (trailing ? '/' : '');
      const p = normalizePath(raw);
      if (p === undefined) return;
      assert.ok(p.startsWith('/'));
      assert.ok(!p.includes('//'), p);
      assert.ok(!/%2f|%5c/i.test(p), p);
      assert.ok(!/(^|\/)\.\.?(\/|$)/.test(p), p);
      assert.equal(normalizePath(p), p);
      // what a decoding upstream would make of it is what the routes saw
      assert.equal(decodeURIComponent(p).replace(/\/{2,}/g, '/'), decodeURIComponent(p));
    }),
    { numRuns: 5000 },
  );
});

test("a client's Connection header never removes Host or what Junction adds", () => {
  const token = fc.constantFrom('host', 'Host', 'x-request-id', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'keep-alive', 'close', 'x-a', 'te', 'upgrade');
  fc.assert(
    fc.property(fc.array(token, { maxLength: 6 }), (tokens) => {
      const connection = tokens.join(', ');
      const named = namedByClient(connection);
      assert.ok(named === undefined || !named.has('host'));
      const raw = ['Host', 'front.example', 'X-A', '1', 'Connection', connection];
      const out = upstreamHeadersFromRaw(raw, named, { forwardedFor: '192.0.2.1', proto: 'http', requestId: 'r', host: 'front.example', trusted: false });
      const names = out.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      assert.ok(names.includes('host'));
      for (const own of ['x-request-id', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']) assert.ok(names.includes(own), own);
      assert.equal(names.includes('x-a'), !tokens.map((t) => t.toLowerCase()).includes('x-a'));
      assert.ok(!names.includes('connection'));
    }),
    { numRuns: 2000 },
  );
});
