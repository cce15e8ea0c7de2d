import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { BalancerConfigError, hashKeyOf, parseHashKey } from '../../src/balancing/index.js';
import { fnv1a32 } from '../../src/balancing/hash-function.js';

const key = (spec: string, headers: IncomingHttpHeaders, clientIp = '192.0.2.1'): number =>
  hashKeyOf(parseHashKey(spec), { headers, clientIp });

test('parseHashKey accepts header:NAME, cookie:NAME and ip', () => {
  assert.deepEqual(parseHashKey('ip'), { kind: 'ip' });
  assert.deepEqual(parseHashKey('header:X-User-Id'), { kind: 'header', name: 'x-user-id', list: true });
  assert.deepEqual(parseHashKey('header:User-Agent'), { kind: 'header', name: 'user-agent', list: false });
  const cookie = parseHashKey('cookie:Session_ID');
  assert.equal(cookie.kind, 'cookie');
  assert.equal(cookie.kind === 'cookie' && cookie.name, 'Session_ID');
});

test('parseHashKey rejects anything else with code invalid_hash_key', () => {
  for (const bad of ['', 'IP', 'header:', 'cookie:', 'query:x', 'header:a b', 'cookie:a=b', 'header']) {
    assert.throws(
      () => parseHashKey(bad),
      (e: unknown) => e instanceof BalancerConfigError && e.code === 'invalid_hash_key' && e.status === 400,
      bad,
    );
  }
});

test('header: the whole value, trimmed; header names are case-insensitive', () => {
  assert.equal(key('header:X-User-Id', { 'x-user-id': 'alice' }), fnv1a32('alice'));
  assert.equal(key('header:x-user-id', { 'x-user-id': ' \talice ' }), fnv1a32('alice'));
  assert.equal(key('header:x-user-id', {}), -1);
  assert.equal(key('header:x-user-id', { 'x-user-id': '' }), -1);
  assert.equal(key('header:x-user-id', { 'x-user-id': ' , bob' }), -1, 'empty first value counts as missing');
});

test('header: the first value when repeated (Node joins repeats with ", "; arrays take [0])', () => {
  assert.equal(key('header:x-user-id', { 'x-user-id': 'alice, bob' }), fnv1a32('alice'));
  assert.equal(key('header:x-forwarded-for', { 'x-forwarded-for': '203.0.113.5,10.0.0.1' }), fnv1a32('203.0.113.5'));
  assert.equal(key('header:x-user-id', { 'x-user-id': ['alice', 'bob'] }), fnv1a32('alice'));
  assert.equal(key('header:set-cookie', { 'set-cookie': [] }), -1);
  // headers that Node never joins keep their own commas
  const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)';
  assert.equal(key('header:user-agent', { 'user-agent': ua }), fnv1a32(ua));
  assert.equal(key('header:authorization', { authorization: 'Bearer a,b' }), fnv1a32('Bearer a,b'));
});

test('cookie: that one name, exactly, anywhere in the header', () => {
  const k = (cookie: string | undefined): number => key('cookie:sid', cookie === undefined ? {} : { cookie });
  assert.equal(k('sid=abc'), fnv1a32('abc'));
  assert.equal(k('theme=dark; sid=abc; lang=en'), fnv1a32('abc'));
  assert.equal(k('theme=dark;sid=abc'), fnv1a32('abc'));
  assert.equal(k('a=1;  sid=abc  ;b=2'), fnv1a32('abc'));
  assert.equal(k('sid="abc"'), fnv1a32('abc'), 'quotes dropped');
  assert.equal(k('xsid=nope; sid2=nope; sid=abc'), fnv1a32('abc'), 'no prefix or suffix matches');
  assert.equal(k('other=sid=abc'), -1, 'not inside another value');
  assert.equal(k('SID=abc'), -1, 'cookie names are case-sensitive');
  assert.equal(k('sid=abc; sid=def'), fnv1a32('abc'), 'first one wins');
  assert.equal(k('sid=a%20b=c'), fnv1a32('a%20b=c'), 'raw value, "=" allowed');
  assert.equal(k(undefined), -1);
  assert.equal(k(''), -1);
  assert.equal(k('theme=dark'), -1);
  assert.equal(k('sid='), -1, 'empty value counts as missing');
  assert.equal(k('sid=""'), -1);
  assert.equal(k('sid'), -1);
  const lines = { cookie: ['a=1', 'sid=abc'] } as unknown as IncomingHttpHeaders;
  assert.equal(key('cookie:sid', lines), fnv1a32('abc'), 'several Cookie lines');
});

test('ip: the client address; ::ffff: mapped IPv4 is the same key', () => {
  assert.equal(key('ip', {}, '198.51.100.7'), fnv1a32('198.51.100.7'));
  assert.equal(key('ip', {}, '::ffff:198.51.100.7'), fnv1a32('198.51.100.7'));
  assert.equal(key('ip', {}, '2001:db8::1'), fnv1a32('2001:db8::1'));
  assert.equal(key('ip', {}, '::ffff:abcd'), fnv1a32('::ffff:abcd'));
  assert.equal(key('ip', {}, ''), -1);
});

test('fnv1a32 matches the reference vectors and hashes ranges without slicing', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('a'), 0xe40c292c);
  assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  assert.equal(fnv1a32('xxfoobaryy', 2, 8), fnv1a32('foobar'));
});
