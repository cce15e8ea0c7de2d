import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteIndex } from '../../src/routing/route-index.js';
import { FLAT_BUCKET_MAX } from '../../src/routing/path-bucket.js';
import { compilePathRegex } from '../../src/routing/path-pattern.js';
import { InvalidRegexError, RoutingError } from '../../src/routing/errors.js';
import { JunctionError } from '../../src/errors/junction-error.js';
import { CONFIG_ERRORS } from '../../src/errors/catalogue.js';
import type { RouteCandidate } from '../../src/routing/route-candidate.js';
import type { MatchSpec } from '../../src/config/schema/route.js';

const route = (id: string, match: MatchSpec, priority = 0): RouteCandidate<string> => ({ id, match, priority, value: id });
const matchPath = (index: RouteIndex<string>, path: string) => index.match({ method: 'GET', host: 'h', path, headers: {} })?.id;

/**
 * Buckets of up to FLAT_BUCKET_MAX routes are a flat list; larger ones use the exact map, the
 * prefix trie and the regex list. Both must answer alike: check each path against an index of
 * `routes` alone and one padded with exact-path fillers that never match.
 */
function expectPaths(routes: RouteCandidate<string>[], cases: [string, string | undefined][]): void {
  const fillers = Array.from({ length: FLAT_BUCKET_MAX + 1 }, (_, i) => route(`zz-filler-${i}`, { path: `/zz/filler/${i}` }));
  for (const index of [RouteIndex.build(routes), RouteIndex.build([...routes, ...fillers])]) {
    for (const [path, want] of cases) assert.equal(matchPath(index, path), want, `${path} (${index.size} routes)`);
  }
}

test('exact path matches only itself', () => {
  expectPaths([route('exact', { path: '/health' })], [
    ['/health', 'exact'],
    ['/health/', undefined],
    ['/healthz', undefined],
    ['/Health', undefined], // paths are case-sensitive
    ['/', undefined],
  ]);
});

test('a prefix ending in / needs the slash', () => {
  expectPaths([route('v1', { pathPrefix: '/v1/' })], [
    ['/v1/', 'v1'],
    ['/v1/x', 'v1'],
    ['/v1/x/y', 'v1'],
    ['/v1', undefined],
    ['/v1x', undefined],
    ['/v2/x', undefined],
  ]);
});

test('a prefix is a plain string prefix: /v1 matches /v1x (nginx location, Traefik PathPrefix)', () => {
  expectPaths([route('v1', { pathPrefix: '/v1' })], [
    ['/v1', 'v1'],
    ['/v1/x', 'v1'],
    ['/v1x', 'v1'],
    ['/v', undefined],
  ]);
});

test('the longest matching prefix wins among overlapping prefixes (trie splits mid-segment)', () => {
  const routes = [
    route('root', { pathPrefix: '/' }),
    route('api', { pathPrefix: '/api' }),
    route('api-v1', { pathPrefix: '/api/v1/' }),
    route('api-v10', { pathPrefix: '/api/v10' }),
    route('apix', { pathPrefix: '/apix' }),
    route('ap', { pathPrefix: '/ap' }),
    route('api-v1-users', { path: '/api/v1/users' }),
  ];
  const cases: [string, string][] = [
    ['/', 'root'],
    ['/a', 'root'],
    ['/ap', 'ap'],
    ['/apple', 'ap'],
    ['/api', 'api'],
    ['/apix/1', 'apix'],
    ['/api/v1', 'api'],
    ['/api/v1/users', 'api-v1-users'],
    ['/api/v1/users/1', 'api-v1'],
    ['/api/v10/users', 'api-v10'],
    ['/api/v2', 'api'],
  ];
  expectPaths(routes, cases);
  expectPaths([...routes].reverse(), cases);
});

test('a regex is a full match of the normalized path', () => {
  expectPaths([route('users', { pathRegex: '/users/[0-9]+' })], [
    ['/users/42', 'users'],
    ['/users/42/posts', undefined], // not a prefix match
    ['/x/users/42', undefined], // not a search
    ['/users/', undefined],
  ]);
});

test('alternation cannot escape the anchors', () => {
  expectPaths([route('alt', { pathRegex: '/a|/b' })], [
    ['/a', 'alt'],
    ['/b', 'alt'],
    ['/a/x', undefined],
    ['/x/b', undefined],
  ]);
});

test('a regex with its own anchors still works', () => {
  expectPaths([route('anch', { pathRegex: '^/static/.*\\.css$' })], [
    ['/static/a/b.css', 'anch'],
    ['/static/a/b.css.map', undefined],
  ]);
});

test('no path condition matches any path', () => {
  expectPaths([route('all', {})], [
    ['/', 'all'],
    ['/x', 'all'],
    ['/a/b/c', 'all'],
  ]);
});

test('all path kinds in one bucket, with a method fall-through', () => {
  const routes = [
    route('exact-post', { path: '/api/v1/users', methods: ['POST'] }),
    route('prefix', { pathPrefix: '/api/' }),
    route('regex', { pathRegex: '/api/v[0-9]+/users' }),
    route('any', {}),
  ];
  // GET: the exact route refuses the method; the 18-char regex beats the 5-char prefix
  expectPaths(routes, [
    ['/api/v1/users', 'regex'],
    ['/api/v1/other', 'prefix'],
    ['/other', 'any'],
  ]);
});

test('compilePathRegex anchors and rejects with a typed error', () => {
  const re = compilePathRegex('/v[12]/.*');
  assert.equal(re.test('/v1/a'), true);
  assert.equal(re.test('/v3/a'), false);
  for (const bad of ['(', '/a)|(/b', '[', '*x', 'a{2,1}']) {
    assert.throws(
      () => compilePathRegex(bad),
      (err: unknown) => {
        assert.ok(err instanceof InvalidRegexError);
        assert.ok(err instanceof RoutingError);
        assert.ok(err instanceof JunctionError);
        assert.equal(err.code, 'invalid_regex');
        assert.ok((CONFIG_ERRORS as readonly string[]).includes(err.code), 'a configuration error: reported by key and field, never an HTTP answer');
        assert.equal(err.field, 'match.pathRegex');
        assert.equal(err.source, bad);
        return true;
      },
      bad,
    );
  }
});

test('build rejects an invalid regex or two path conditions with typed errors', () => {
  assert.throws(() => RouteIndex.build([route('r', { pathRegex: '(' })]), { code: 'invalid_regex' });
  assert.throws(() => RouteIndex.build([route('r', { path: '/a', pathPrefix: '/a' })]), { code: 'invalid_match' });
});
