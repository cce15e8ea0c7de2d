// CertSpec (`P/certs/<id>`): what is accepted, what is rejected and by which field, and what the
// snapshot makes of an accepted one. Certificates are minted with the openssl command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { buildSnapshot } from '../../src/config/build-snapshot.js';
import { ConfigState } from '../../src/config/config-state.js';
import { decodeDocument, validateDocument } from '../../src/config/decode/decode-document.js';
import { createValidators } from '../../src/config/decode/validators.js';
import type { FilterCatalog } from '../../src/config/filter-catalog.js';
import { SnapshotMemo } from '../../src/config/snapshot-memo.js';
import type { ConfigSnapshot, RouteConfig } from '../../src/config/snapshot.js';
import { mintCert, pemBody } from '../support/certs.js';

const v = createValidators();
const P = '/junction';
const DAY = 86_400_000;
const shop = mintCert({ names: ['shop.example.com', '*.shop.example.com'], days: 30 });
const other = mintCert({ names: ['other.example.com'] });
const leafOf = (m: { leaf: string }) => new X509Certificate(m.leaf);
const at = (m: { leaf: string }, offsetMs: number, edge: 'validFrom' | 'validTo') => () => new Date(Date.parse(leafOf(m)[edge]) + offsetMs);

/** The errors of a CertSpec checked at `now` (the real clock by default), as field: message. */
function errors(doc: unknown, now?: () => Date): Array<{ field: string; message: string }> {
  const r = validateDocument('cert', doc, v, now);
  return r.ok ? [] : [...r.errors];
}

function assertNoKeyText(text: string, ...keys: string[]): void {
  assert.doesNotMatch(text, /PRIVATE KEY/, 'no PEM key header');
  for (const k of keys) assert.ok(!text.includes(pemBody(k).slice(0, 40)), 'no key material');
}

test('a certificate with its key is accepted; the default flag is optional', () => {
  assert.deepEqual(errors({ cert: shop.cert, key: shop.key }), []);
  assert.deepEqual(errors({ cert: shop.cert, key: shop.key, default: true }), []);
  const r = decodeDocument('cert', JSON.stringify({ cert: shop.cert, key: shop.key }), v);
  assert.equal(r.ok, true);
});

test('PEM that does not parse is rejected on cert or key', () => {
  assert.deepEqual(errors({ cert: 'not a certificate', key: shop.key }).map((e) => e.field), ['cert']);
  assert.match(errors({ cert: 'not a certificate', key: shop.key })[0]?.message ?? '', /holds no PEM certificate/);
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  assert.deepEqual(errors({ cert: broken, key: shop.key }), [{ field: 'cert', message: 'does not parse: certificate 1 (the leaf) is not valid X.509' }]);
  assert.deepEqual(errors({ cert: shop.leaf + broken, key: shop.key }), [{ field: 'cert', message: 'does not parse: certificate 2 is not valid X.509' }]);
  const badKey = errors({ cert: shop.cert, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' });
  assert.deepEqual(badKey.map((e) => e.field), ['key']);
  assert.match(badKey[0]?.message ?? '', /is not a private key Node can read/);
  assert.deepEqual(errors({ cert: shop.cert, key: 'nothing' }).map((e) => e.field), ['key']);
  assert.deepEqual(errors({ cert: shop.cert, key: shop.key + other.key }).map((e) => e.field), ['key'], 'one key only');
});

test('a key that does not match the leaf is rejected on key', () => {
  const e = errors({ cert: shop.cert, key: other.key });
  assert.deepEqual(e.map((x) => x.field), ['key']);
  assert.match(e[0]?.message ?? '', /does not match the leaf/);
  assertNoKeyText(JSON.stringify(e), other.key, shop.key);
});

test('a leaf outside its validity period is rejected on cert, by the injected clock', () => {
  const expired = errors({ cert: shop.cert, key: shop.key }, at(shop, DAY, 'validTo'));
  assert.deepEqual(expired.map((e) => e.field), ['cert']);
  assert.match(expired[0]?.message ?? '', /^has expired: the leaf's notAfter is \d{4}-/);
  const early = errors({ cert: shop.cert, key: shop.key }, at(shop, -DAY, 'validFrom'));
  assert.deepEqual(early.map((e) => e.field), ['cert']);
  assert.match(early[0]?.message ?? '', /^is not valid yet: the leaf's notBefore is \d{4}-/);
  assert.deepEqual(errors({ cert: shop.cert, key: shop.key }, at(shop, -1000, 'validTo')), [], 'one second before notAfter it is fine');
  // and by the real clock: openssl's -days -1 gives a notAfter a day before now
  const old = mintCert({ names: ['old.example.com'], days: -1 });
  assert.match(errors({ cert: old.cert, key: old.key })[0]?.message ?? '', /^has expired/);
});

test('no subjectAltName is accepted, and serves no name', () => {
  const bare = mintCert({ cn: 'legacy.example.com' });
  assert.deepEqual(errors({ cert: bare.cert, key: bare.key, default: true }), []);
  const snap = snapshotOf([[`certs/bare`, { cert: bare.cert, key: bare.key, default: true }]]);
  assert.deepEqual(snap.certs.get('bare')?.sans, [], 'the CN is not a name it serves');
});

test('a chain after the leaf is accepted in order, and refused out of order', () => {
  const ca = mintCert({ cn: 'Test CA', ca: true, days: 90 });
  const leaf = mintCert({ names: ['api.example.com'], issuer: ca });
  assert.equal(pemCount(leaf.cert), 2);
  assert.deepEqual(errors({ cert: leaf.cert, key: leaf.key }), []);
  const snap = snapshotOf([['certs/api', { cert: leaf.cert, key: leaf.key }]]);
  const c = snap.certs.get('api');
  assert.equal(c?.issuer, 'CN=Test CA');
  assert.equal(c?.subject, 'CN=api.example.com');
  assert.equal(c?.certPem, leaf.cert, 'the chain is kept for the handshake');
  const reversed = errors({ cert: ca.leaf + leaf.leaf, key: leaf.key });
  assert.ok(reversed.some((e) => e.field === 'cert' && /is out of order/.test(e.message)), JSON.stringify(reversed));
  const unrelated = errors({ cert: leaf.leaf + other.leaf, key: leaf.key });
  assert.deepEqual(unrelated.map((e) => e.field), ['cert'], 'a certificate that did not issue the one before it');
});

test('a private key pasted into cert, an encrypted key, a key TLS refuses: rejected without quoting the key', () => {
  const combined = errors({ cert: shop.cert + shop.key, key: shop.key });
  assert.deepEqual(combined.map((e) => e.field), ['cert']);
  assert.match(combined[0]?.message ?? '', /holds a private key/);
  assertNoKeyText(JSON.stringify(combined), shop.key);
  const encrypted = errors({ cert: shop.cert, key: shop.key.replaceAll('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY') });
  assert.deepEqual(encrypted.map((e) => e.field), ['key']);
  assert.match(encrypted[0]?.message ?? '', /is encrypted/);
  const weak = mintCert({ names: ['weak.example.com'], rsaBits: 512 });
  const w = errors({ cert: weak.cert, key: weak.key });
  assert.deepEqual(w.map((e) => e.field), ['key']);
  assert.match(w[0]?.message ?? '', /is too weak for TLS: an RSA key of 512 bits \(at least 2048/);
  for (const e of [...combined, ...encrypted, ...w]) assertNoKeyText(e.message, shop.key, weak.key);
});

test('the schema: both PEMs required, default a boolean, nothing else', () => {
  assert.deepEqual(errors({ cert: shop.cert }).map((e) => e.field), ['key']);
  assert.deepEqual(errors({ key: shop.key, default: 'yes' }).map((e) => e.field).sort(), ['cert', 'default']);
  assert.deepEqual(errors({ cert: shop.cert, key: shop.key, keyFile: '/etc/x' }).map((e) => e.field), ['keyFile']);
});

// ---- in the snapshot ----

const catalog: FilterCatalog = { types: () => new Set(), retired: () => false, validate: () => [] };

function snapshotOf(puts: Array<[string, unknown]>): ConfigSnapshot {
  const state = new ConfigState(P, v);
  state.apply({ kind: 'changes', revision: 1, events: puts.map(([k, value]) => ({ type: 'put', key: `${P}/${k}`, value: JSON.stringify(value), modRevision: 1, createRevision: 1, version: 1 })) });
  return buildSnapshot(state, undefined, new Map(), { prefix: P, filters: catalog, now: () => new Date(0) });
}

function pemCount(pem: string): number {
  return pem.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
}

test('the CertConfig: id, SANs, issuer, validity, fingerprint, default — and the key out of sight', () => {
  const snap = snapshotOf([['certs/shop', { cert: shop.cert, key: shop.key, default: true }]]);
  const c = snap.certs.get('shop');
  assert.ok(c);
  const x = leafOf(shop);
  assert.equal(c.id, 'shop');
  assert.equal(c.key, '/junction/certs/shop');
  assert.deepEqual(c.sans, ['shop.example.com', '*.shop.example.com']);
  assert.equal(c.issuer, 'CN=shop.example.com');
  assert.equal(c.notBefore, new Date(x.validFrom).toISOString());
  assert.equal(c.notAfter, new Date(x.validTo).toISOString());
  assert.equal(c.fingerprint256, x.fingerprint256);
  assert.match(c.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(c.default, true);
  assert.equal(c.keyPem, shop.key, 'readable by name, for the TLS context');
  assert.ok(!Object.keys(c).includes('keyPem'));
  assertNoKeyText(JSON.stringify(snap.certs.get('shop')), shop.key);
  assertNoKeyText(JSON.stringify({ ...c }), shop.key);
  assert.ok(Object.isFrozen(c));
});

test('a rejected value leaves the last valid version of the certificate serving', () => {
  let now = Date.now();
  const state = new ConfigState(P, v, () => new Date(now));
  const memo = new SnapshotMemo();
  const active = new Map<string, RouteConfig>();
  let snap: ConfigSnapshot | undefined;
  let rev = 0;
  const put = (id: string, value: unknown) => {
    rev++;
    state.apply({ kind: 'changes', revision: rev, events: [{ type: 'put', key: `${P}/certs/${id}`, value: JSON.stringify(value), modRevision: rev, createRevision: rev, version: 1 }] });
    snap = buildSnapshot(state, snap, active, { prefix: P, filters: catalog, now: () => new Date(now), memo });
    return snap;
  };
  const first = put('shop', { cert: shop.cert, key: shop.key });
  const serving = first.certs.get('shop');
  assert.equal(serving?.modRevision, 1);

  for (const bad of [{ cert: shop.cert, key: other.key }, { cert: 'garbage', key: shop.key }, '{"cert":']) {
    const s = put('shop', bad);
    assert.equal(s.certs.get('shop'), serving, `the last valid version keeps serving after ${JSON.stringify(bad).slice(0, 40)}`);
    const issue = s.issues.find((i) => i.key === '/junction/certs/shop');
    assert.ok(issue, 'the rejection is reported by key');
    assert.ok(issue.field === 'cert' || issue.field === 'key' || issue.field === '(document)', `and field: ${JSON.stringify(issue)}`);
    assertNoKeyText(JSON.stringify(s.issues), shop.key, other.key);
  }

  // time passes: a value that arrives after its leaf expired is rejected; the served one stays
  now = Date.parse(leafOf(shop).validTo) + DAY;
  const s = put('shop', { cert: shop.cert, key: shop.key, default: true });
  assert.equal(s.certs.get('shop'), serving);
  assert.match(s.issues.find((i) => i.key === '/junction/certs/shop')?.message ?? '', /^cert has expired/);
});

test('the certs map is the previous snapshot\'s while no certificate changed; an unchanged CertConfig is reused', () => {
  const state = new ConfigState(P, v);
  const memo = new SnapshotMemo();
  const active = new Map<string, RouteConfig>();
  let snap: ConfigSnapshot | undefined;
  let rev = 0;
  const put = (k: string, value: unknown) => {
    rev++;
    state.apply({ kind: 'changes', revision: rev, events: [{ type: 'put', key: `${P}/${k}`, value: JSON.stringify(value), modRevision: rev, createRevision: rev, version: 1 }] });
    const before = snap;
    snap = buildSnapshot(state, snap, active, { prefix: P, filters: catalog, now: () => new Date(0), memo });
    const full = buildSnapshot(state, undefined, new Map(), { prefix: P, filters: catalog, now: () => new Date(0) });
    assert.deepEqual(snap, full, 'the incremental snapshot equals a full build');
    return { s: snap, before };
  };
  put('certs/shop', { cert: shop.cert, key: shop.key });
  let { s, before } = put('certs/other', { cert: other.cert, key: other.key });
  assert.notEqual(s.certs, before?.certs);
  assert.equal(s.certs.get('shop'), before?.certs.get('shop'), 'an untouched certificate keeps its CertConfig');
  ({ s, before } = put('backends/b', { servers: [{ id: 'a', url: 'http://127.0.0.1:1' }] }));
  assert.equal(s.certs, before?.certs, 'no certificate changed: the same map');
  ({ s, before } = put('certs/other', { cert: other.cert, key: other.key, default: true }));
  assert.notEqual(s.certs, before?.certs);
  assert.notEqual(s.certs.get('other'), before?.certs.get('other'));
  assert.equal(s.certs.get('other')?.default, true);
  assert.equal(s.certs.get('shop'), before?.certs.get('shop'));
});
