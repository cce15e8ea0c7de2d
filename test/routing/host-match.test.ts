import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteIndex } from '../../src/routing/route-index.js';
import type { RouteCandidate } from '../../src/routing/route-candidate.js';
import type { MatchSpec } from '../../src/config/schema/route.js';

const route = (id: string, match: MatchSpec, priority = 0): RouteCandidate<string> => ({ id, match, priority, value: id });
const matchHost = (index: RouteIndex<string>, host: string | undefined, path = '/') =>
  index.match({ method: 'GET', host, path, headers: {} })?.id;

test('exact host is case-insensitive and ignores the request port', () => {
  const index = RouteIndex.build([route('api', { host: 'API.example.com' })]);
  assert.equal(matchHost(index, 'api.example.com'), 'api');
  assert.equal(matchHost(index, 'Api.Example.COM'), 'api');
  assert.equal(matchHost(index, 'api.example.com:8080'), 'api');
  assert.equal(matchHost(index, 'api.example.com.'), 'api', 'FQDN root dot is dropped');
  assert.equal(matchHost(index, 'api.example.com.:443'), 'api');
  assert.equal(matchHost(index, 'www.example.com'), undefined);
  assert.equal(matchHost(index, 'api.example.co'), undefined);
  assert.equal(matchHost(index, 'x.api.example.com'), undefined);
  assert.equal(matchHost(index, undefined), undefined);
  assert.equal(matchHost(index, ''), undefined);
});

test('a spec host with a port needs exactly that port', () => {
  const index = RouteIndex.build([route('admin', { host: 'api.example.com:8443' })]);
  assert.equal(matchHost(index, 'api.example.com:8443'), 'admin');
  assert.equal(matchHost(index, 'API.EXAMPLE.COM:8443'), 'admin');
  assert.equal(matchHost(index, 'api.example.com'), undefined);
  assert.equal(matchHost(index, 'api.example.com:443'), undefined);
});

test('ported and portless specs for one host: the ported one is longer and wins on its port', () => {
  const index = RouteIndex.build([route('plain', { host: 'a.example.com' }), route('ported', { host: 'a.example.com:9000' })]);
  assert.equal(matchHost(index, 'a.example.com:9000'), 'ported');
  assert.equal(matchHost(index, 'a.example.com:9001'), 'plain');
  assert.equal(matchHost(index, 'a.example.com'), 'plain');
});

test('wildcard matches one or more labels, never the bare domain', () => {
  const index = RouteIndex.build([route('wild', { host: '*.example.com' })]);
  assert.equal(matchHost(index, 'a.example.com'), 'wild');
  assert.equal(matchHost(index, 'a.b.example.com'), 'wild');
  assert.equal(matchHost(index, 'A.B.Example.Com:8080'), 'wild');
  assert.equal(matchHost(index, 'example.com'), undefined);
  assert.equal(matchHost(index, '.example.com'), undefined);
  assert.equal(matchHost(index, 'aexample.com'), undefined);
  assert.equal(matchHost(index, 'a.example.com.evil.net'), undefined);
});

test('wildcard with a port', () => {
  const index = RouteIndex.build([route('wp', { host: '*.example.com:8080' })]);
  assert.equal(matchHost(index, 'a.example.com:8080'), 'wp');
  assert.equal(matchHost(index, 'a.b.example.com:8080'), 'wp');
  assert.equal(matchHost(index, 'a.example.com'), undefined);
  assert.equal(matchHost(index, 'a.example.com:8081'), undefined);
  assert.equal(matchHost(index, 'example.com:8080'), undefined);
});

test('the most specific host wins at equal priority: exact > longer wildcard > shorter wildcard > any', () => {
  const index = RouteIndex.build([
    route('any', {}),
    route('wild', { host: '*.example.com' }),
    route('wild-deep', { host: '*.eu.example.com' }),
    route('exact', { host: 'shop.eu.example.com' }),
  ]);
  assert.equal(matchHost(index, 'shop.eu.example.com'), 'exact');
  assert.equal(matchHost(index, 'cart.eu.example.com'), 'wild-deep');
  assert.equal(matchHost(index, 'eu.example.com'), 'wild');
  assert.equal(matchHost(index, 'example.com'), 'any');
  assert.equal(matchHost(index, undefined), 'any');
  assert.equal(matchHost(index, '[::1]:8080'), 'any');
  assert.equal(matchHost(index, '10.0.0.1:80'), 'any');
});

test('IP and IPv6 literal hosts', () => {
  const index = RouteIndex.build([route('ip', { host: '10.0.0.1' }), route('ip-port', { host: '10.0.0.1:81' })]);
  assert.equal(matchHost(index, '10.0.0.1'), 'ip');
  assert.equal(matchHost(index, '10.0.0.1:80'), 'ip');
  assert.equal(matchHost(index, '10.0.0.1:81'), 'ip-port');
  assert.equal(matchHost(index, '[::1]'), undefined);
});
