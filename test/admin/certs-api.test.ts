/**
 * Certificates through the admin API (docs/api.md, "Certificates"), on the embedded store and a
 * real etcd: GET answers what the leaf says and never the key; PUT, DELETE and transactions take
 * CertSpecs validated like any document (400 naming `cert` or `key`); what is written reaches the
 * SNI index through the store's watch; the expiry gauge and the status follow the serving snapshot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mintCert, pemBody } from '../support/certs.js';
import { get } from '../support/junction.js';
import { waitFor } from '../support/wait.js';
import { api, onBothStores, unquote } from './api-support.js';

const shop = mintCert({ names: ['shop.example.com', '*.shop.example.com'], days: 90 });
const soon = mintCert({ names: ['soon.example.com'], days: 10 });
const other = mintCert({ names: ['other.example.com'] });
const expired = mintCert({ names: ['old.example.com'], days: -1 });
const VIEW_FIELDS = ['default', 'fingerprint256', 'id', 'issuer', 'notAfter', 'notBefore', 'sans', 'subject'];

function assertNoKey(text: string): void {
  assert.doesNotMatch(text, /PRIVATE KEY/);
  for (const m of [shop, soon, other, expired]) assert.ok(!text.includes(pemBody(m.key).slice(0, 32)), 'no key material');
  assert.ok(!text.includes(pemBody(shop.leaf).slice(0, 64)), 'no certificate PEM either');
}

onBothStores('certificates through the admin API', (j) => {
  test('PUT creates; GET answers id, SANs, issuer, validity, fingerprint and default — never the key; the SNI index serves it', async () => {
    const put = await api(j().adminUrl, 'PUT', '/api/v1/certs/shop', { cert: shop.cert, key: shop.key });
    assert.equal(put.status, 201, put.text);
    assert.equal(put.headers.location, '/api/v1/certs/shop');
    assertNoKey(put.text);
    const rev = unquote(put.headers.etag);

    const got = await api(j().adminUrl, 'GET', '/api/v1/certs/shop');
    assert.equal(got.status, 200);
    assert.equal(got.headers.etag, `"${rev}"`);
    const x = new X509Certificate(shop.leaf);
    assert.deepEqual(got.body, {
      id: 'shop',
      sans: ['shop.example.com', '*.shop.example.com'],
      subject: 'CN=shop.example.com',
      issuer: 'CN=shop.example.com',
      notBefore: new Date(x.validFrom).toISOString(),
      notAfter: new Date(x.validTo).toISOString(),
      fingerprint256: x.fingerprint256,
      default: false,
    });
    assertNoKey(got.text);

    const list = await api(j().adminUrl, 'GET', '/api/v1/certs');
    assert.equal(list.status, 200);
    assert.equal(list.body.items.shop.modRevision, rev);
    assert.deepEqual(Object.keys(list.body.items.shop.value).sort(), VIEW_FIELDS);
    assertNoKey(list.text);
    // the store holds the document as written (etcdctl and Junction itself read it there)
    assert.equal(JSON.parse((await j().store.get('/junction/certs/shop'))?.value ?? '{}').key, shop.key);

    await j().applied(rev);
    assert.equal(j().switcher.current?.certs.match('a.shop.example.com')?.id, 'shop');
    assert.equal(await api(j().adminUrl, 'GET', '/api/v1/certs/nope').then((r) => r.status), 404);
  });

  test('a bad CertSpec is a 400 naming cert or key; nothing is written and the last valid version keeps serving', async () => {
    const before = (await j().store.get('/junction/certs/shop'))?.modRevision;
    const cases: Array<[unknown, string]> = [
      [{ cert: shop.cert, key: other.key }, 'key'],
      [{ cert: 'garbage', key: shop.key }, 'cert'],
      [{ cert: expired.cert, key: expired.key }, 'cert'],
      [{ cert: shop.cert + shop.key, key: shop.key }, 'cert'],
      [{ cert: shop.cert }, 'key'],
    ];
    for (const [doc, field] of cases) {
      const r = await api(j().adminUrl, 'PUT', '/api/v1/certs/shop', doc);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error, 'invalid_document');
      assert.deepEqual(r.body.errors.map((e: { field: string }) => e.field), [field], r.text);
      assertNoKey(r.text);
    }
    const exp = await api(j().adminUrl, 'PUT', '/api/v1/certs/old', { cert: expired.cert, key: expired.key });
    assert.match(exp.body.errors[0].message, /^has expired/);
    assert.equal((await j().store.get('/junction/certs/shop'))?.modRevision, before, 'nothing written');
    // a body that is not JSON, with a key in it, is not quoted back
    const raw = await api(j().adminUrl, 'PUT', '/api/v1/certs/shop', `${pemBody(other.key)}`);
    assert.equal(raw.status, 400);
    assertNoKey(raw.text);
  });

  test('dry run validates and echoes the view, not the key; a transaction takes CertSpecs like any document', async () => {
    const dry = await api(j().adminUrl, 'PUT', '/api/v1/certs/soon?dryRun=1', { cert: soon.cert, key: soon.key, default: true });
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.valid, true);
    assert.deepEqual(dry.body.value.sans, ['soon.example.com']);
    assert.equal(dry.body.value.default, true);
    assertNoKey(dry.text);
    assert.equal(await j().store.get('/junction/certs/soon'), undefined);

    const bad = await api(j().adminUrl, 'POST', '/api/v1/tx', { ops: [{ op: 'put', key: 'certs/soon', value: { cert: soon.cert, key: shop.key } }] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field), ['ops[0].value.key']);
    assertNoKey(bad.text);

    const tx = await api(j().adminUrl, 'POST', '/api/v1/tx', {
      ops: [
        { op: 'put', key: 'certs/soon', value: { cert: soon.cert, key: soon.key, default: true } },
        { op: 'put', key: 'certs/other', value: { cert: other.cert, key: other.key } },
      ],
    });
    assert.equal(tx.status, 200, tx.text);
    assertNoKey(tx.text);
    await j().applied(tx.body.revision);
    const index = j().switcher.current?.certs;
    assert.equal(index?.match('other.example.com')?.id, 'other');
    assert.equal(index?.match('unknown.test')?.id, 'soon', 'the default');
  });

  test('the expiry gauge and the status list the serving certificates; a certificate under 14 days has a warning', async () => {
    const metrics = await get(`${j().adminUrl}/metrics`);
    const series = (id: string) => new RegExp(`^junction_tls_certificate_expiry_seconds\\{cert="${id}"\\} (\\d+)$`, 'm').exec(metrics.text)?.[1];
    assert.equal(Number(series('soon')), Math.floor(Date.parse(new X509Certificate(soon.leaf).validTo) / 1000));
    assert.equal(Number(series('shop')), Math.floor(Date.parse(new X509Certificate(shop.leaf).validTo) / 1000));

    const status = await api(j().adminUrl, 'GET', '/api/v1/status');
    const certs = status.body.certs as Array<{ id: string; expiresInDays: number; warning?: string; default: boolean }>;
    assert.deepEqual(certs.map((c) => c.id), ['soon', 'other', 'shop'], 'soonest expiry first');
    const s = certs[0];
    assert.ok(s && s.expiresInDays >= 9 && s.expiresInDays <= 10, JSON.stringify(s));
    assert.match(s.warning ?? '', /^expires in (9|10) days/);
    assert.equal(s.default, true);
    assert.equal(certs[2]?.warning, undefined, '90 days: no warning');
    assert.equal(status.body.counts.certs, 3);
    assertNoKey(status.text);
  });

  test('DELETE removes it: no longer served, its series gone from the next scrape', async () => {
    const del = await api(j().adminUrl, 'DELETE', '/api/v1/certs/soon');
    assert.equal(del.status, 200, del.text);
    await j().applied(del.body.revision);
    assert.equal(j().switcher.current?.certs.match('soon.example.com'), undefined);
    assert.equal(j().switcher.current?.certs.match('unknown.test'), undefined, 'no default any more');
    const metrics = await get(`${j().adminUrl}/metrics`);
    assert.doesNotMatch(metrics.text, /cert="soon"/);
    assert.match(metrics.text, /cert="shop"/);
    assert.equal((await api(j().adminUrl, 'GET', '/api/v1/certs/soon')).status, 404);
    assert.equal((await api(j().adminUrl, 'DELETE', '/api/v1/certs/soon')).status, 404);
  });

  test('a stored value that is not JSON is listed without its text', async () => {
    const rev = await j().put('certs/broken', `{"cert": "x", "key": "${pemBody(other.key)}`);
    await j().applied(rev);
    const list = await api(j().adminUrl, 'GET', '/api/v1/certs');
    assert.equal(list.body.items.broken.error, 'invalid_json');
    assert.equal(list.body.items.broken.raw, undefined);
    assert.ok(list.body.items.broken.issues.some((i: { field?: string }) => i.field === '(document)'));
    const one = await api(j().adminUrl, 'GET', '/api/v1/certs/broken');
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, { id: 'broken', error: 'invalid_json' });
    assertNoKey(list.text + one.text);
    await waitFor('the status reports it', async () => (await api(j().adminUrl, 'GET', '/api/v1/status')).body.errors.some((e: { key: string }) => e.key === '/junction/certs/broken'));
    assertNoKey((await api(j().adminUrl, 'GET', '/api/v1/status')).text);
    await j().del('certs/broken');
  });
});
