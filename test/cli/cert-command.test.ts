/**
 * `junction cert list | get ID | put ID CERT.pem KEY.pem [--default] | delete ID` and the
 * certificates in `junction status`, through the real binary against a running Junction: what
 * they print (never a key), what they write, and their exit codes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintCert, pemBody, type Minted } from '../support/certs.js';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { run } from './cli-process.js';

let j: TestJunction;
let dir: string;
let env: NodeJS.ProcessEnv;
const shop = mintCert({ names: ['shop.example.com', '*.shop.example.com'], days: 90 });
const soon = mintCert({ names: ['soon.example.com'], days: 10 });

before(async () => {
  j = await startTestJunction();
  dir = mkdtempSync(join(tmpdir(), 'junction-cli-cert-'));
  env = { JUNCTION_ADMIN_URL: j.adminUrl };
});
after(async () => {
  await j?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the pair as NAME.pem and NAME-key.pem; returns their paths. */
function files(name: string, m: Minted): [string, string] {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  writeFileSync(cert, m.cert);
  writeFileSync(key, m.key);
  return [cert, key];
}

function expectCode(r: { code: number | null; stderr: string; stdout: string }, code: number): void {
  assert.equal(r.code, code, `exit ${r.code}, stdout: ${r.stdout}, stderr: ${r.stderr}`);
  for (const text of [r.stdout, r.stderr]) {
    assert.doesNotMatch(text, /PRIVATE KEY/);
    assert.ok(!text.includes(pemBody(shop.key).slice(30, 50)) && !text.includes(pemBody(soon.key).slice(30, 50)), 'no key material printed');
  }
}

test('put, list, get, delete', async () => {
  const put = await run(['cert', 'put', 'shop', ...files('shop', shop)], env);
  expectCode(put, 0);
  assert.match(put.stdout, /^certs\/shop created \(mod revision \d+\)\n$/);
  const stored = JSON.parse((await j.store.get('/junction/certs/shop'))?.value ?? '{}');
  assert.equal(stored.cert, shop.cert);
  assert.equal(stored.key, shop.key, 'the files as they are');
  assert.equal(stored.default, undefined);

  const dflt = await run(['cert', 'put', 'soon', ...files('soon', soon), '--default'], env);
  expectCode(dflt, 0);
  assert.equal(JSON.parse((await j.store.get('/junction/certs/soon'))?.value ?? '{}').default, true);

  const list = await run(['cert', 'list'], env);
  expectCode(list, 0);
  const lines = list.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^ID\s+NAMES\s+NOT AFTER\s+DAYS\s+DEFAULT\s+MODREV\s+PROBLEMS$/);
  assert.match(lines.find((l) => l.startsWith('shop')) ?? '', /^shop\s+shop\.example\.com,\*\.shop\.example\.com\s+\d{4}-\d\d-\d\dT\S+Z\s+(89|90)\s+-\s+\d+\s+-$/);
  assert.match(lines.find((l) => l.startsWith('soon')) ?? '', /^soon\s+soon\.example\.com\s+\S+\s+(9|10)\s+yes\s+\d+\s+-$/);

  const got = await run(['cert', 'get', 'shop'], env);
  expectCode(got, 0);
  const view = JSON.parse(got.stdout);
  assert.equal(view.fingerprint256, new X509Certificate(shop.leaf).fingerprint256);
  assert.deepEqual(view.sans, ['shop.example.com', '*.shop.example.com']);
  const asJson = await run(['cert', 'get', 'shop', '--json'], env);
  expectCode(asJson, 0);
  assert.ok(JSON.parse(asJson.stdout).modRevision > 0, asJson.stdout);

  const del = await run(['cert', 'delete', 'shop'], env);
  expectCode(del, 0);
  assert.match(del.stdout, /^certs\/shop deleted \(revision \d+\)\n$/);
  expectCode(await run(['cert', 'get', 'shop'], env), 5);
});

test('a key that does not match, an unreadable file, a bad id: exit 1, 2, 2 with one line per error', async () => {
  const [cert] = files('shop', shop);
  const [, otherKey] = files('soon', soon);
  const bad = await run(['cert', 'put', 'mixed', cert, otherKey], env);
  expectCode(bad, 1);
  assert.match(bad.stderr, /^junction: invalid_document: 1 error\njunction: {3}key: does not match the leaf/);
  assert.equal(await j.store.get('/junction/certs/mixed'), undefined);
  const dry = await run(['cert', 'put', 'shop2', ...files('shop', shop), '--dry-run'], env);
  expectCode(dry, 0);
  assert.match(dry.stdout, /^certs\/shop2 is valid \(dry run/);
  expectCode(await run(['cert', 'put', 'x', join(dir, 'missing.pem'), otherKey], env), 2);
  expectCode(await run(['cert', 'put', 'Bad Id', cert, otherKey], env), 2);
  expectCode(await run(['cert', 'put', 'x', cert], env), 2);
  const help = await run(['cert', '--help'], env);
  expectCode(help, 0);
  assert.match(help.stdout, /^usage: junction cert <subcommand>/);
});

test('junction status lists the certificates with the days they have left, and a warning under 14 days', async () => {
  const rev = await j.put('certs/shop', { cert: shop.cert, key: shop.key });
  await j.applied(rev);
  const r = await run(['status'], env);
  expectCode(r, 0);
  const section = r.stdout.slice(r.stdout.indexOf('\ncerts\n'));
  assert.match(section, /\n {2}soon \(default\): soon\.example\.com; WARNING: expires in (9|10) days \(\S+\): put its successor\n/);
  assert.match(section, /\n {2}shop: shop\.example\.com, \*\.shop\.example\.com; expires \d{4}-\d\d-\d\d \(in (89|90) days\)\n/);
  assert.ok(section.indexOf('soon') < section.indexOf('shop'), 'soonest expiry first');
});
