import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServeOptions } from '../../src/cli/serve-options.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { decodeDocument } from '../../src/config/decode/decode-document.js';
import { createValidators } from '../../src/config/decode/validators.js';
import { isOwnKey, parseKey } from '../../src/config/key-layout.js';
import type { AcmeConfig, CertConfig } from '../../src/config/snapshot.js';
import { AcmeKeys } from '../../src/tls/acme/acme-keys.js';
import { ChallengeBook } from '../../src/tls/acme/challenge-book.js';
import { retryDelayMs } from '../../src/tls/acme/order-state.js';
import { orderReason, renewAt } from '../../src/tls/acme/renewal.js';
import { TestCa } from '../support/test-ca.js';

const v = createValidators();

test('an AcmeSpec: one to 100 lower-case DNS names an HTTP-01 challenge can prove; each bad one named by its index', () => {
  assert.equal(decodeDocument('acme', '{"domains":["shop.example.com","www.shop.example.com"]}', v).ok, true);
  const bad = decodeDocument('acme', JSON.stringify({ domains: ['*.example.com', 'Shop.example.com', '10.0.0.1', 'localhost', 'a.example.com.', '-x.example.com', 'ok.example.com'] }), v);
  assert.equal(bad.ok, false);
  const fields = bad.ok ? [] : bad.errors.map((e) => `${e.field}: ${e.message}`);
  assert.deepEqual(fields.map((f) => f.split(':')[0]), ['domains[0]', 'domains[1]', 'domains[2]', 'domains[3]', 'domains[4]', 'domains[5]']);
  assert.match(fields[0]!, /wildcard.*DNS-01/);
  assert.match(fields[1]!, /lower-case/);
  assert.match(fields[2]!, /IP address/);
  for (const doc of ['{"domains":[]}', '{"domains":["a.example","a.example"]}', '{"domains":["a.example"],"email":"x"}', '{}']) {
    assert.equal(decodeDocument('acme', doc, v).ok, false, doc);
  }
});

test("Junction's own folders are not configuration; acme/ is", () => {
  for (const k of ['/j/status/i-1', '/j/locks/acme', '/j/acme-state/challenges/tok', '/j/acme-state/orders/shop', '/j/guards/r', '/j/rollout-status/x']) {
    assert.equal(isOwnKey('/j', k), true, k);
    assert.equal(parseKey('/j', k).kind, 'own', k);
  }
  assert.deepEqual(parseKey('/j', '/j/acme/shop'), { kind: 'acme', id: 'shop' });
  assert.equal(isOwnKey('/j', '/j/acme/shop'), false);
  assert.equal(isOwnKey('/j', '/j/statusx/a'), false);
  assert.equal(parseKey('/j', '/j/locks').kind, 'unknown', 'a folder name alone is no key');
});

const spec: AcmeConfig = { id: 'shop', key: '/j/acme/shop', modRevision: 1, certId: 'acme-shop', domains: ['shop.test', 'www.shop.test'] };
const cert = (sans: string[], from: string, to: string) => ({ sans, notBefore: from, notAfter: to }) as unknown as CertConfig;

test('an order is needed when the certificate is missing, covers other names, or has a third of its life left', () => {
  const from = '2026-01-01T00:00:00.000Z';
  const to = '2026-04-01T00:00:00.000Z'; // 90 days
  const now = Date.parse('2026-02-01T00:00:00.000Z');
  assert.equal(orderReason(spec, undefined, now), 'missing');
  assert.equal(orderReason(spec, cert(['shop.test'], from, to), now), 'names');
  assert.equal(orderReason(spec, cert(['shop.test', 'www.shop.test', 'x.test'], from, to), now), 'names');
  assert.equal(orderReason(spec, cert(['WWW.shop.test', 'shop.test'], from, to), now), undefined, 'SANs compare case-insensitively, in any order');
  assert.equal(new Date(renewAt(cert([], from, to))).toISOString(), '2026-03-02T00:00:00.000Z', 'two thirds in: 30 days left of 90');
  assert.equal(orderReason(spec, cert(['shop.test', 'www.shop.test'], from, to), Date.parse('2026-03-01T23:59:59.000Z')), undefined);
  assert.equal(orderReason(spec, cert(['shop.test', 'www.shop.test'], from, to), Date.parse('2026-03-02T00:00:00.000Z')), 'renewal');
});

test('the back-off after failed orders doubles from the minimum and stops at the maximum', () => {
  assert.deepEqual([1, 2, 3, 4, 10, 100].map((n) => retryDelayMs(n, 60_000, 6 * 3_600_000)), [60_000, 120_000, 240_000, 480_000, 6 * 3_600_000, 6 * 3_600_000]);
});

test('a challenge token is looked up in memory first, then in the store, a few reads at a time; a malformed one costs nothing', async () => {
  const keys = new AcmeKeys('/j');
  const reads: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const store = {
    get: async (key: string) => {
      reads.push(key);
      await gate;
      return key.endsWith('/late') ? { key, value: 'late.thumb', createRevision: 1, modRevision: 1, version: 1 } : undefined;
    },
  };
  const memory = new Map([['/j/acme-state/challenges/known', 'known.thumb']]);
  const book = new ChallengeBook(store, keys, (k) => memory.get(k), 2);
  assert.equal(book.lookup('known'), 'known.thumb');
  assert.equal(book.lookup('../x'), undefined);
  assert.equal(book.lookup('a.b'), undefined);
  assert.equal(reads.length, 0, 'no store read for a token in memory or a malformed one');
  const late = book.lookup('late');
  const other = book.lookup('other');
  assert.equal(book.lookup('third'), undefined, 'beyond two reads at once: no read, no answer');
  assert.deepEqual(reads, ['/j/acme-state/challenges/late', '/j/acme-state/challenges/other']);
  release();
  assert.equal(await late, 'late.thumb');
  assert.equal(await other, undefined);
  assert.ok(book.lookup('again') instanceof Promise, 'reads free up once answered');
});

test('--acme-* flags: the directory checked, the CA file read at start; the others need the directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-acme-flags-'));
  try {
    const ca = new TestCa();
    writeFileSync(join(dir, 'ca.pem'), ca.cert);
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate');
    ca.dispose();
    const o = parseServeOptions(['--acme-directory', 'https://acme.example/dir', '--acme-email', 'ops@example.com', '--acme-ca-file', join(dir, 'ca.pem')], {});
    assert.equal(o.acme?.directoryUrl, 'https://acme.example/dir');
    assert.equal(o.acme?.email, 'ops@example.com');
    assert.match(o.acme?.ca ?? '', /BEGIN CERTIFICATE/);
    assert.equal(parseServeOptions([], {}).acme, undefined);
    assert.equal(parseServeOptions([], { JUNCTION_ACME_DIRECTORY: 'https://a.example/dir' }).acme?.directoryUrl, 'https://a.example/dir');
    const refused: Array<[string[], RegExp]> = [
      [['--acme-email', 'a@b.c'], /--acme-email needs --acme-directory/],
      [['--acme-ca-file', join(dir, 'ca.pem')], /--acme-ca-file needs --acme-directory/],
      [['--acme-directory', 'not a url'], /expected the URL of an ACME directory/],
      [['--acme-directory', 'ftp://a.example/dir'], /expected an https:\/\/ URL/],
      [['--acme-directory', 'https://a.example/dir', '--acme-email', 'nobody'], /expected an email address/],
      [['--acme-directory', 'https://a.example/dir', '--acme-ca-file', join(dir, 'missing.pem')], /cannot read it \(ENOENT\)/],
      [['--acme-directory', 'https://a.example/dir', '--acme-ca-file', join(dir, 'junk.pem')], /no PEM certificate/],
    ];
    for (const [argv, message] of refused) assert.throws(() => parseServeOptions(argv, {}), (e: unknown) => e instanceof UsageError && message.test(e.message), argv.join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
