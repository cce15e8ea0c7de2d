/**
 * `junction serve`'s flags that secure the store connection (SPEC §9): --etcd-ca, --etcd-cert,
 * --etcd-key, --etcd-user, --etcd-password-file (and JUNCTION_ETCD_PASSWORD). Files are read at
 * start; a combination that cannot work exits 2 with one line; the password never prints.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { parseServeOptions } from '../../src/cli/serve-options.js';
import { mintPki, type CertFiles, type Pki } from '../support/pki.js';
import { run } from './cli-process.js';

const PASSWORD = 'pw-in-a-file-7f3a';
let pki: Pki;
let client: CertFiles;
let other: CertFiles;
let expired: CertFiles;
let dir: string;
let pwFile: string;

before(async () => {
  pki = await mintPki('flags');
  client = await pki.client('junction-client');
  other = await pki.client('someone-else');
  expired = await pki.client('expired', 0);
  dir = mkdtempSync(join(tmpdir(), 'junction-etcd-flags-'));
  pwFile = join(dir, 'etcd-password');
  writeFileSync(pwFile, `${PASSWORD}\n`);
  writeFileSync(join(dir, 'empty'), '\n');
});
after(async () => {
  await pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const HTTPS = 'https://127.0.0.1:2379';

test('the --etcd-* flags, or their environment variables, are read at start; the password never prints', () => {
  const o = parseServeOptions(
    ['--etcd', HTTPS, '--etcd-ca', pki.ca, '--etcd-cert', client.cert, '--etcd-key', client.key, '--etcd-user', 'junction', '--etcd-password-file', pwFile],
    {},
  );
  assert.deepEqual(o.etcdTls, { ca: readFileSync(pki.ca), cert: readFileSync(client.cert), key: readFileSync(client.key) });
  assert.equal(o.etcdAuth?.username, 'junction');
  assert.equal(o.etcdAuth?.password.reveal(), PASSWORD, 'the trailing newline is the file\'s');
  for (const printed of [JSON.stringify(o), inspect(o, { depth: 10 })]) assert.ok(!printed.includes(PASSWORD), printed);

  const e = parseServeOptions([], {
    JUNCTION_ETCD: HTTPS,
    JUNCTION_ETCD_CA: pki.ca,
    JUNCTION_ETCD_CERT: client.cert,
    JUNCTION_ETCD_KEY: client.key,
    JUNCTION_ETCD_USER: 'edge',
    JUNCTION_ETCD_PASSWORD: 'from the environment',
  });
  assert.deepEqual(e.etcdTls?.cert, readFileSync(client.cert));
  assert.equal(e.etcdAuth?.username, 'edge');
  assert.equal(e.etcdAuth?.password.reveal(), 'from the environment');
  assert.equal(parseServeOptions(['--etcd-user', 'flag'], { JUNCTION_ETCD: HTTPS, JUNCTION_ETCD_USER: 'env', JUNCTION_ETCD_PASSWORD_FILE: pwFile }).etcdAuth?.username, 'flag', 'the flag wins');

  // https:// alone trusts the system's CAs; no user, no auth
  const plain = parseServeOptions(['--etcd', HTTPS], {});
  assert.equal(plain.etcdTls, undefined);
  assert.equal(plain.etcdAuth, undefined);
  // a CA without a client certificate; a user on plain http
  assert.deepEqual(parseServeOptions(['--etcd', HTTPS, '--etcd-ca', pki.ca], {}).etcdTls, { ca: readFileSync(pki.ca) });
  assert.equal(parseServeOptions(['--etcd', 'http://127.0.0.1:2379', '--etcd-user', 'u'], { JUNCTION_ETCD_PASSWORD: 'p' }).etcdAuth?.username, 'u');
  // an empty JUNCTION_ETCD_PASSWORD is unset, like every variable
  assert.equal(parseServeOptions(['--etcd', HTTPS], { JUNCTION_ETCD_PASSWORD: '' }).etcdAuth, undefined);
});

test('combinations that cannot work exit 2 with one line naming the flag, never the password', async () => {
  const notPem = join(dir, 'not-pem');
  writeFileSync(notPem, 'hello');
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--etcd-ca', pki.ca], {}, /^junction: --etcd-ca needs --etcd: the embedded store has no connection to secure\n$/],
    [['--etcd-user', 'junction'], { JUNCTION_ETCD_PASSWORD: PASSWORD }, /--etcd-user needs --etcd/],
    [['--etcd', 'http://127.0.0.1:2379', '--etcd-ca', pki.ca], {}, /--etcd-ca needs https:\/\/ endpoints, and --etcd http:\/\/127\.0\.0\.1:2379 is plain http/],
    [['--etcd', `${HTTPS},http://127.0.0.1:2380`], {}, /mixes http:\/\/ and https:\/\/ endpoints/],
    [['--etcd', HTTPS, '--etcd-cert', client.cert], {}, /--etcd-cert needs --etcd-key, the private key of the client certificate/],
    [['--etcd', HTTPS, '--etcd-key', client.key], {}, /--etcd-key needs --etcd-cert/],
    [['--etcd', HTTPS, '--etcd-cert', client.cert, '--etcd-key', other.key], {}, /--etcd-key .* is not the private key of the certificate in --etcd-cert/],
    [['--etcd', HTTPS, '--etcd-cert', expired.cert, '--etcd-key', expired.key], {}, /--etcd-cert .*: the certificate expired on /],
    [['--etcd', HTTPS, '--etcd-ca', join(dir, 'missing.pem')], {}, /--etcd-ca .*missing\.pem: cannot read it \(ENOENT\)/],
    [['--etcd', HTTPS, '--etcd-ca', notPem], {}, /--etcd-ca .*not-pem: not a PEM file/],
    [['--etcd', HTTPS, '--etcd-ca', client.key], {}, /--etcd-ca .*: no PEM certificate in it/],
    [['--etcd', HTTPS, '--etcd-cert', client.key, '--etcd-key', client.key], {}, /--etcd-cert .*: no PEM certificate in it/],
    [['--etcd', HTTPS, '--etcd-cert', client.cert, '--etcd-key', client.cert], {}, /--etcd-key .*: no PEM private key in it/],
    [['--etcd', HTTPS, '--etcd-user', 'junction'], {}, /--etcd-user junction needs a password: --etcd-password-file FILE, or the environment variable JUNCTION_ETCD_PASSWORD/],
    [['--etcd', HTTPS, '--etcd-password-file', pwFile], {}, /--etcd-password-file needs --etcd-user/],
    [['--etcd', HTTPS], { JUNCTION_ETCD_PASSWORD: PASSWORD }, /JUNCTION_ETCD_PASSWORD is set but --etcd-user is not/],
    [['--etcd', HTTPS, '--etcd-user', 'j', '--etcd-password-file', pwFile], { JUNCTION_ETCD_PASSWORD: PASSWORD }, /the etcd password is given twice/],
    [['--etcd', HTTPS, '--etcd-user', 'j', '--etcd-password-file', join(dir, 'empty')], {}, /--etcd-password-file .*empty is empty/],
    [['--etcd', HTTPS, '--etcd-user', 'j', '--etcd-password-file', dir], {}, /--etcd-password-file .*: cannot read it \(EISDIR\)/],
    [['--etcd', HTTPS, '--etcd-password', PASSWORD], {}, /--etcd-password: there is no such flag, on purpose \(a password on the command line shows in ps\)/],
    [['--etcd', HTTPS, `--etcd-password=${PASSWORD}`], {}, /--etcd-password: there is no such flag/],
  ];
  for (const [args, env, message] of cases) {
    const r = await run(['serve', ...args], { JUNCTION_ETCD_PASSWORD: undefined, ...env });
    const what = `${args.join(' ')} ${JSON.stringify(env)}: ${r.stderr}`;
    assert.equal(r.code, 2, what);
    assert.match(r.stderr, message, what);
    assert.match(r.stderr, /^junction: /, what);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${what}`);
    assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD), `the password is not printed: ${what}`);
  }
});

test('serve --help lists the flags', async () => {
  const h = await run(['serve', '--help']);
  for (const flag of ['--etcd-ca FILE', '--etcd-cert FILE', '--etcd-key FILE', '--etcd-user USER', '--etcd-password-file FILE', 'JUNCTION_ETCD_PASSWORD']) {
    assert.ok(h.stdout.includes(flag), flag);
  }
});
