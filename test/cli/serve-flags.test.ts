import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServeOptions } from '../../src/cli/serve-options.js';
import { freePort } from '../support/etcd.js';
import { run } from './cli-process.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test('flags, environment variables and defaults, in that order', () => {
  const o = parseServeOptions([], {});
  assert.deepEqual(o.listen, { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(o.admin, { host: '127.0.0.1', port: 9090 });
  assert.equal(o.prefix, '/junction');
  assert.equal(o.dataDir, './.junction');
  assert.equal(o.etcd, undefined);
  assert.equal(o.workers, 1);
  assert.equal(o.demo, false);
  assert.equal(o.accessLog, true);

  const e = parseServeOptions([], {
    JUNCTION_LISTEN: '127.0.0.1:81',
    JUNCTION_ETCD: 'http://a:2379, http://b:2379',
    JUNCTION_PREFIX: '/edge/',
    JUNCTION_DEMO: 'true',
    JUNCTION_ADMIN_TOKEN: 's3cret',
    JUNCTION_ADMIN: '0.0.0.0:9999',
    JUNCTION_INSTANCE_ID: 'edge-1',
  });
  assert.deepEqual(e.listen, { host: '127.0.0.1', port: 81 });
  assert.deepEqual(e.etcd, ['http://a:2379', 'http://b:2379']);
  assert.equal(e.prefix, '/edge');
  assert.equal(e.demo, true);
  assert.equal(e.adminToken, 's3cret');
  assert.equal(e.instanceId, 'edge-1');

  // an empty token is no token, whether it comes from the flag or the environment
  assert.equal(parseServeOptions(['--admin-token='], {}).adminToken, undefined);
  assert.equal(parseServeOptions([], { JUNCTION_ADMIN_TOKEN: '' }).adminToken, undefined);
  assert.equal(parseServeOptions(['--admin-token='], { JUNCTION_ADMIN_TOKEN: 's3cret' }).adminToken, undefined, 'the flag wins');

  const f = parseServeOptions(['--listen', '[::1]:8443', '--prefix', '/p'], { JUNCTION_LISTEN: '127.0.0.1:81', JUNCTION_PREFIX: '/q' });
  assert.deepEqual(f.listen, { host: '::1', port: 8443 });
  assert.equal(f.prefix, '/p');
});

test('bad flags exit 2 with one clear line', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--listen', 'nope'], /--listen "nope": expected HOST:PORT/],
    [['--listen', '1.2.3.4:70000'], /port 70000 is out of range/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--etcd', 'localhost'], /--etcd "localhost": expected an endpoint/],
    [['--prefix', 'junction'], /--prefix "junction": expected a key prefix/],
    [['--admin', '0.0.0.0:9090'], /is not a loopback address: set --admin-token/],
    [['--admin', '0.0.0.0:9090', '--admin-token='], /is not a loopback address: set --admin-token/],
    [['--admin-token', ' s3cret '], /--admin-token \(or JUNCTION_ADMIN_TOKEN\): a token cannot begin or end with whitespace/],
    [['--workers', 'many'], /--workers "many": expected a whole number/],
    [['--log-level', 'loud'], /--log-level "loud"/],
  ];
  for (const [args, message] of cases) {
    const r = await run(['serve', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^junction: /);
  }
});

test('a busy port exits 1 with one clear line', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  const port = (busy.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'junction-cli-'));
  dirs.push(dir);
  try {
    const r = await run(['serve', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${await freePort()}`, '--data-dir', dir]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim(), `junction: cannot listen on 127.0.0.1:${port} (proxy): address already in use`);
  } finally {
    busy.close();
  }
});

test('help and version', async () => {
  const h = await run(['serve', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--etcd URL\[,URL\.\.\.\]/);
  const v = await run(['version']);
  assert.match(v.stdout, /^junction \d+\.\d+\.\d+/);
  const u = await run(['frobnicate']);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /unknown command "frobnicate"/);
});
