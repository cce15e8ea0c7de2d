import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { RouteIndex } from '../../src/routing/route-index.js';
import { headerValueEquals } from '../../src/routing/conditions.js';
import type { RouteCandidate } from '../../src/routing/route-candidate.js';
import type { MatchSpec } from '../../src/config/schema/route.js';

const route = (id: string, match: MatchSpec, priority = 0): RouteCandidate<string> => ({ id, match, priority, value: id });
const matchReq = (index: RouteIndex<string>, method: string, headers: IncomingHttpHeaders = {}) =>
  index.match({ method, host: 'h', path: '/', headers })?.id;

test('methods are exact and case-sensitive; HEAD does not imply GET', () => {
  const index = RouteIndex.build([route('rw', { methods: ['GET', 'POST'] })]);
  assert.equal(matchReq(index, 'GET'), 'rw');
  assert.equal(matchReq(index, 'POST'), 'rw');
  assert.equal(matchReq(index, 'get'), undefined);
  assert.equal(matchReq(index, 'HEAD'), undefined);
  assert.equal(matchReq(index, 'DELETE'), undefined);
});

test('absent methods = any method', () => {
  const index = RouteIndex.build([route('any', {})]);
  for (const m of ['GET', 'PURGE', 'OPTIONS']) assert.equal(matchReq(index, m), 'any');
});

test('a route whose method does not match falls through to the next best', () => {
  const index = RouteIndex.build([route('writes', { methods: ['POST'] }, 10), route('fallback', {})]);
  assert.equal(matchReq(index, 'POST'), 'writes');
  assert.equal(matchReq(index, 'GET'), 'fallback');
});

test('headers: every listed header present with exactly that value; names case-insensitive', () => {
  const index = RouteIndex.build([route('acme', { headers: { 'X-Tenant': 'acme', 'x-env': 'prod' } })]);
  assert.equal(matchReq(index, 'GET', { 'x-tenant': 'acme', 'x-env': 'prod' }), 'acme');
  assert.equal(matchReq(index, 'GET', { 'x-tenant': 'acme', 'x-env': 'prod', other: '1' }), 'acme');
  assert.equal(matchReq(index, 'GET', { 'x-tenant': 'acme' }), undefined, 'all must be present');
  assert.equal(matchReq(index, 'GET', { 'x-tenant': 'ACME', 'x-env': 'prod' }), undefined, 'values are case-sensitive');
  assert.equal(matchReq(index, 'GET', { 'x-tenant': 'acme ', 'x-env': 'prod' }), undefined, 'exact, no trimming');
  assert.equal(matchReq(index, 'GET', { 'x-tenant': 'acmeco', 'x-env': 'prod' }), undefined, 'not a prefix');
});

test('an empty expected value needs the header present and empty', () => {
  const index = RouteIndex.build([route('empty', { headers: { 'x-flag': '' } })]);
  assert.equal(matchReq(index, 'GET', { 'x-flag': '' }), 'empty');
  assert.equal(matchReq(index, 'GET', {}), undefined);
  assert.equal(matchReq(index, 'GET', { 'x-flag': 'x' }), undefined);
});

test('repeated headers are compared as their ", "-joined value (Envoy; Node joins them already)', () => {
  const index = RouteIndex.build([route('one', { headers: { 'x-t': 'a' } }), route('both', { headers: { 'x-t': 'a, b' } })]);
  // what Node gives for two `x-t` lines
  assert.equal(matchReq(index, 'GET', { 'x-t': 'a, b' }), 'both');
  // an array value (set-cookie, or a caller-built object) is treated the same way
  assert.equal(matchReq(index, 'GET', { 'x-t': ['a', 'b'] }), 'both');
  assert.equal(matchReq(index, 'GET', { 'x-t': ['a'] }), 'one');
  assert.equal(matchReq(index, 'GET', { 'x-t': 'a' }), 'one');
});

test('headerValueEquals compares arrays without joining', () => {
  assert.equal(headerValueEquals(['a', 'b', 'c'], 'a, b, c'), true);
  assert.equal(headerValueEquals(['a', 'b'], 'a, b, c'), false);
  assert.equal(headerValueEquals(['a', 'b', 'c'], 'a, b'), false);
  assert.equal(headerValueEquals(['a,', 'b'], 'a, b'), false);
  assert.equal(headerValueEquals(['ab'], 'a, b'), false);
  assert.equal(headerValueEquals([], ''), false);
  assert.equal(headerValueEquals(undefined, ''), false);
});

test('methods and headers together', () => {
  const index = RouteIndex.build([route('both', { methods: ['PUT'], headers: { 'x-t': '1' } }), route('rest', {})]);
  assert.equal(matchReq(index, 'PUT', { 'x-t': '1' }), 'both');
  assert.equal(matchReq(index, 'PUT', {}), 'rest');
  assert.equal(matchReq(index, 'GET', { 'x-t': '1' }), 'rest');
});
