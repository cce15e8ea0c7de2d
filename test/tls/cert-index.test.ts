// The SNI index (src/tls/cert-index.ts): which certificate a handshake gets, by its server name,
// at 10,000 certificates as at 3; the TLS contexts are made once per certificate and reused
// across snapshots; and a real TLS handshake gets the certificate the index picks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { certConfig } from '../../src/config/cert-config.js';
import type { CertConfig } from '../../src/config/snapshot.js';
import { CertIndex, SecureContexts } from '../../src/tls/cert-index.js';
import { mintCert } from '../support/certs.js';

/** A CertConfig without crypto (the index reads names, expiry, default and id only). */
function fake(id: string, sans: readonly string[], notAfter: string, extra: Partial<CertConfig> = {}): CertConfig {
  return {
    id,
    key: `/junction/certs/${id}`,
    modRevision: 1,
    sans,
    subject: `CN=${id}`,
    issuer: `CN=${id}`,
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter,
    fingerprint256: id,
    default: false,
    certPem: '',
    keyPem: '',
    ...extra,
  };
}

const index = (...certs: CertConfig[]) => CertIndex.build(new Map(certs.map((c) => [c.id, c])), new SecureContexts());
const idOf = (ix: CertIndex, name: string | undefined) => ix.match(name)?.id;

test('a SAN equal to the name, case-insensitive; a trailing dot is the same name', () => {
  const ix = index(fake('shop', ['shop.example.com', 'Www.Shop.Example.com'], '2027-06-01T00:00:00Z'), fake('api', ['api.example.com'], '2027-06-01T00:00:00Z'));
  assert.equal(idOf(ix, 'shop.example.com'), 'shop');
  assert.equal(idOf(ix, 'SHOP.Example.Com'), 'shop');
  assert.equal(idOf(ix, 'www.shop.example.com'), 'shop', 'a SAN written in capitals');
  assert.equal(idOf(ix, 'api.example.com.'), 'api');
  assert.equal(idOf(ix, 'nope.example.com'), undefined, 'nothing matches and there is no default');
  assert.equal(idOf(ix, undefined), undefined, 'no name asked for and no default');
  assert.equal(ix.pick('nope.example.com'), undefined);
});

test('a *. SAN covers one label up: a.example.com, not a.b.example.com nor example.com', () => {
  const ix = index(fake('wild', ['*.example.com'], '2027-06-01T00:00:00Z'));
  assert.equal(idOf(ix, 'a.example.com'), 'wild');
  assert.equal(idOf(ix, 'A.EXAMPLE.COM'), 'wild');
  assert.equal(idOf(ix, 'a.b.example.com'), undefined);
  assert.equal(idOf(ix, 'example.com'), undefined);
  assert.equal(idOf(ix, '.example.com'), undefined, 'an empty first label');
  assert.equal(idOf(ix, '*.example.com'), 'wild', 'the literal wildcard name covers itself like any name one label down');
  // a * anywhere but as the whole first label serves nothing
  const odd = index(fake('odd', ['a*.example.com', '*.*.example.com', '*'], '2027-06-01T00:00:00Z'));
  for (const n of ['ab.example.com', 'a*.example.com', 'x.y.example.com', 'x']) assert.equal(idOf(odd, n), undefined, n);
});

test('exact before wildcard before default, whatever expires last', () => {
  const ix = index(
    fake('exact', ['a.example.com'], '2027-01-01T00:00:00Z'),
    fake('wild', ['*.example.com'], '2030-01-01T00:00:00Z'),
    fake('fallback', ['fallback.test'], '2031-01-01T00:00:00Z', { default: true }),
  );
  assert.equal(idOf(ix, 'a.example.com'), 'exact');
  assert.equal(idOf(ix, 'b.example.com'), 'wild');
  assert.equal(idOf(ix, 'b.other.test'), 'fallback');
  assert.equal(idOf(ix, undefined), 'fallback', 'a client that sends no name gets the default');
  assert.equal(idOf(ix, ''), 'fallback');
  assert.equal(idOf(ix, 'fallback.test'), 'fallback', 'the default serves its own names too');
});

test('when several cover a name, the one whose leaf expires last wins (ties: the smaller id); insertion order does not matter', () => {
  const old = fake('shop-2026', ['shop.example.com', '*.shop.example.com'], '2027-01-01T00:00:00Z', { default: true });
  const fresh = fake('shop-2027', ['shop.example.com', '*.shop.example.com'], '2027-12-01T00:00:00Z', { default: true });
  const twin = fake('shop-0', ['shop.example.com'], '2027-12-01T00:00:00Z');
  for (const ix of [index(old, fresh), index(fresh, old)]) {
    assert.equal(idOf(ix, 'shop.example.com'), 'shop-2027');
    assert.equal(idOf(ix, 'x.shop.example.com'), 'shop-2027');
    assert.equal(idOf(ix, 'unknown.test'), 'shop-2027', 'among defaults too');
  }
  assert.equal(idOf(index(fresh, twin), 'shop.example.com'), 'shop-0');
  assert.equal(idOf(index(twin, fresh), 'shop.example.com'), 'shop-0');
  // rotation: once the old one is deleted nothing changes; once the new one is deleted the old serves again
  assert.equal(idOf(index(old), 'shop.example.com'), 'shop-2026');
});

test('lookup stays flat at 10,000 certificates: no certificate is looked at per lookup', () => {
  let reads = 0;
  const certs = new Map<string, CertConfig>();
  for (let i = 0; i < 10_000; i++) {
    const c = fake(`c${i}`, [`host${i}.example.com`, `*.t${i}.example.com`], `2027-${String((i % 12) + 1).padStart(2, '0')}-01T00:00:00Z`, { default: i === 4242 });
    // every property read of a certificate is counted
    certs.set(c.id, new Proxy(c, { get: (t, p, r) => (reads++, Reflect.get(t, p, r)) }));
  }
  const contexts = new SecureContexts();
  const ix = CertIndex.build(certs, contexts);
  assert.ok(reads >= 10_000 && reads < 10_000 * 10, `the build reads each certificate a few times (${reads})`);
  assert.equal(ix.size, 10_000);
  reads = 0;
  const names = ['host0.example.com', 'HOST9999.example.com', 'x.t5000.example.com', 'y.t123.example.com', 'nope.example.com', 'a.b.t7.example.com'];
  const wanted = ['c0', 'c9999', 'c5000', 'c123', 'c4242', 'c4242'];
  for (let round = 0; round < 1000; round++) {
    names.forEach((n, i) => assert.equal(ix.match(n)?.id, wanted[i], n));
  }
  // the answers above read `id` once each; the lookups themselves read nothing
  assert.equal(reads, 6 * 1000, 'a lookup is two map reads, never a scan of the certificates');
  assert.equal(contexts.made, 0, 'no TLS context is made before a handshake needs one');
});

test('a TLS context is made once per certificate and reused across snapshots while the CertConfig is the same object', () => {
  const a = mintCert({ names: ['a.example.com'] });
  const b = mintCert({ names: ['b.example.com'] });
  const ca = certConfig('a', '/junction/certs/a', 1, { cert: a.cert, key: a.key });
  const cb = certConfig('b', '/junction/certs/b', 2, { cert: b.cert, key: b.key });
  const contexts = new SecureContexts();
  const first = CertIndex.build(new Map([['a', ca], ['b', cb]]), contexts);
  const ctxA = first.pick('a.example.com');
  assert.ok(ctxA !== undefined && 'context' in ctxA, 'a SecureContext');
  assert.equal(first.pick('A.example.com'), ctxA, 'the next handshake gets the same context');
  assert.equal(contexts.made, 1, 'b has had no handshake yet');

  // the next snapshot: a unchanged (same CertConfig), b replaced by a new version
  const cb2 = certConfig('b', '/junction/certs/b', 3, { cert: b.cert, key: b.key, default: true });
  const second = CertIndex.build(new Map([['a', ca], ['b', cb2]]), contexts);
  assert.equal(second.pick('a.example.com'), ctxA, 'the same object across snapshots');
  const ctxB2 = second.pick('b.example.com');
  assert.ok(ctxB2);
  assert.notEqual(first.pick('b.example.com'), ctxB2, 'a new version of the certificate gets a context of its own');
  assert.equal(second.pick('unknown.test'), ctxB2, 'the default');
  assert.equal(contexts.made, 3);
});

test('a context TLS cannot load is reported once and the handshake refused', () => {
  const errors: string[] = [];
  const contexts = new SecureContexts((c) => errors.push(c.id));
  const broken = fake('broken', ['broken.example.com'], '2027-06-01T00:00:00Z', { certPem: 'not pem' });
  const ix = CertIndex.build(new Map([['broken', broken]]), contexts);
  assert.equal(ix.pick('broken.example.com'), undefined);
  assert.equal(ix.pick('broken.example.com'), undefined);
  assert.deepEqual(errors, ['broken']);
});

test('a real handshake gets the certificate the index picks by SNI; a name it does not cover gets none', async () => {
  const shop = mintCert({ names: ['shop.example.com'] });
  const wild = mintCert({ names: ['*.example.com'] });
  const contexts = new SecureContexts();
  const ix = CertIndex.build(
    new Map([
      ['shop', certConfig('shop', '/junction/certs/shop', 1, { cert: shop.cert, key: shop.key })],
      ['wild', certConfig('wild', '/junction/certs/wild', 1, { cert: wild.cert, key: wild.key })],
    ]),
    contexts,
  );
  // what the TLS listener does (its engineer wires the real one): the current graph's index, per handshake
  const server = createServer({ SNICallback: (name, cb) => {
    const ctx = ix.pick(name);
    if (ctx === undefined) cb(new Error(`no certificate for ${name}`));
    else cb(null, ctx);
  } }, (s) => s.end('ok'));
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const served = (servername: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s: TLSSocket = connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => {
        resolve(new X509Certificate(s.getPeerCertificate(true).raw).fingerprint256);
        s.destroy();
      });
      s.on('error', reject);
    });
  try {
    assert.equal(await served('shop.example.com'), new X509Certificate(shop.leaf).fingerprint256);
    assert.equal(await served('blog.example.com'), new X509Certificate(wild.leaf).fingerprint256);
    await assert.rejects(served('nope.test'), 'no certificate: the handshake fails');
    assert.equal(contexts.made, 2);
  } finally {
    server.close();
  }
});
