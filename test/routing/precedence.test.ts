import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { RouteIndex } from '../../src/routing/route-index.js';
import type { RouteCandidate } from '../../src/routing/route-candidate.js';
import type { MatchSpec } from '../../src/config/schema/route.js';

const route = (id: string, match: MatchSpec, priority = 0): RouteCandidate<string> => ({ id, match, priority, value: id });

interface Req { method?: string; host?: string; path?: string; headers?: IncomingHttpHeaders }
const view = (r: Req) => ({ method: r.method ?? 'GET', host: r.host ?? 'a.example.com', path: r.path ?? '/api/v1/users', headers: r.headers ?? {} });

/** The winner, checked to be the same for every rotation and the reverse of the route list. */
function winner(routes: RouteCandidate<string>[], r: Req = {}): string | undefined {
  const orders = [routes, [...routes].reverse()];
  for (let k = 1; k < routes.length; k++) orders.push([...routes.slice(k), ...routes.slice(0, k)]);
  const answers = new Set(orders.map((o) => RouteIndex.build(o).match(view(r))?.id));
  assert.equal(answers.size, 1, `order-dependent answer: ${[...answers].join(', ')}`);
  return [...answers][0];
}

test('higher priority wins over every specificity', () => {
  const routes = [
    route('specific', { host: 'a.example.com', path: '/api/v1/users', methods: ['GET'], headers: { 'x-a': '1' } }),
    route('catch-all', {}, 1),
  ];
  assert.equal(winner(routes, { headers: { 'x-a': '1' } }), 'catch-all');
  assert.equal(winner([route('neg', { path: '/api/v1/users' }, -1), route('zero', {})]), 'zero');
});

test('then the longer host; any host counts as length 0', () => {
  assert.equal(winner([route('any', { path: '/api/v1/users' }), route('host', { host: 'a.example.com' })]), 'host');
  assert.equal(winner([route('short', { host: '*.com' }), route('long', { host: '*.example.com' })]), 'long');
  assert.equal(winner([route('wild', { host: '*.example.com' }), route('exact', { host: 'a.example.com' })]), 'exact');
});

test('an exact host beats a wildcard of the same length', () => {
  // '*.example.com' and 'a.example.com' are both 13 characters
  assert.equal(winner([route('a-wild', { host: '*.example.com' }), route('z-exact', { host: 'a.example.com' })]), 'z-exact');
});

test('a spec port makes the host longer', () => {
  const routes = [route('plain', { host: 'a.example.com' }), route('ported', { host: 'a.example.com:8080' })];
  assert.equal(winner(routes, { host: 'a.example.com:8080' }), 'ported');
});

test('then the longer path spec', () => {
  assert.equal(winner([route('short', { pathPrefix: '/api' }), route('long', { pathPrefix: '/api/v1/' })]), 'long');
  assert.equal(winner([route('none', {}), route('prefix', { pathPrefix: '/' })]), 'prefix');
  assert.equal(winner([route('prefix', { pathPrefix: '/api/v1/' }), route('exact', { path: '/api/v1/users' })]), 'exact');
  // length-first across kinds, like Traefik's rule length: a longer regex beats a shorter prefix
  assert.equal(winner([route('prefix', { pathPrefix: '/api/' }), route('regex', { pathRegex: '/api/v[0-9]+/.*' })]), 'regex');
  assert.equal(winner([route('prefix', { pathPrefix: '/api/v1/us' }), route('regex', { pathRegex: '/api/.*' })]), 'prefix');
});

test('at equal path length: exact path > pathPrefix > pathRegex', () => {
  const p = '/api/v1/users';
  assert.equal(winner([route('a-prefix', { pathPrefix: p }), route('z-exact', { path: p })]), 'z-exact');
  // a 13-character regex that matches the same path
  const re = '/api/v1/user.';
  assert.equal(re.length, p.length);
  assert.equal(winner([route('a-regex', { pathRegex: re }), route('z-prefix', { pathPrefix: p })]), 'z-prefix');
  assert.equal(winner([route('a-regex', { pathRegex: re }), route('z-exact', { path: p })]), 'z-exact');
});

test('host length is compared before path length', () => {
  const routes = [route('long-path', { pathPrefix: '/api/v1/users' }), route('host', { host: '*.example.com', pathPrefix: '/' })];
  assert.equal(winner(routes), 'host');
});

test('then more header conditions', () => {
  const headers = { 'x-a': '1', 'x-b': '2' };
  const routes = [
    route('a-none', { pathPrefix: '/api' }),
    route('b-one', { pathPrefix: '/api', headers: { 'x-a': '1' } }),
    route('c-two', { pathPrefix: '/api', headers }),
  ];
  assert.equal(winner(routes, { headers }), 'c-two');
  assert.equal(winner(routes, { headers: { 'x-a': '1' } }), 'b-one');
  assert.equal(winner(routes), 'a-none');
});

test('header conditions count before methods', () => {
  const routes = [route('a-methods', { methods: ['GET'] }), route('z-header', { headers: { 'x-a': '1' } })];
  assert.equal(winner(routes, { headers: { 'x-a': '1' } }), 'z-header');
});

test('then a methods list beats none, and a shorter list beats a longer one', () => {
  const routes = [route('a-any', {}), route('b-three', { methods: ['GET', 'HEAD', 'POST'] }), route('c-one', { methods: ['GET'] })];
  assert.equal(winner(routes), 'c-one');
  assert.equal(winner(routes, { method: 'HEAD' }), 'b-three');
  assert.equal(winner(routes, { method: 'PUT' }), 'a-any');
});

test('finally the id, ascending by code unit', () => {
  assert.equal(winner([route('b', {}), route('a', {}), route('c', {})]), 'a');
  assert.equal(winner([route('a-2', {}), route('a.1', {}), route('a_0', {})]), 'a-2');
  assert.equal(winner([route('r10', {}), route('r9', {})]), 'r10');
});

test('ordered lists routes best first, independent of input order', () => {
  const routes = [route('z', {}, 5), route('b', { host: 'h' }), route('a', { host: 'h' }), route('m', { path: '/' })];
  const want = ['z', 'a', 'b', 'm'];
  assert.deepEqual(RouteIndex.build(routes).ordered.map((r) => r.id), want);
  assert.deepEqual(RouteIndex.build([...routes].reverse()).ordered.map((r) => r.id), want);
  assert.equal(RouteIndex.build(routes).size, 4);
  assert.equal(RouteIndex.build([]).size, 0);
  assert.equal(RouteIndex.build([]).match(view({})), undefined);
});

test('a lower-priority route in a more specific bucket loses to a higher-priority one elsewhere', () => {
  const routes = [
    route('exact-host', { host: 'a.example.com', path: '/api/v1/users' }),
    route('wild-high', { host: '*.example.com', pathRegex: '/api/.*' }, 3),
    route('any-higher', { pathPrefix: '/api/v1' }, 4),
  ];
  assert.equal(winner(routes), 'any-higher');
  assert.equal(winner(routes.slice(0, 2)), 'wild-high');
  assert.equal(winner(routes, { path: '/other' }), undefined);
});

test('the value given at build is the value returned', () => {
  const value = { backend: 'x' };
  const index = RouteIndex.build([{ id: 'r', match: {}, priority: 0, value }]);
  assert.equal(index.match(view({}))?.value, value);
});
