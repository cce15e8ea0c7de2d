/**
 * The etcd store on a secured etcd: TLS with client certificates (`--client-cert-auth`) and etcd
 * users with the roles docs/stores.md gives. Real etcd processes, restarted under the store.
 *
 * What etcd3 does by itself, and what these tests pin down that the store adds:
 * - unary calls: on "invalid auth token" etcd3 authenticates again and retries (kept);
 * - a watch stream keeps the token it was opened with: after an etcd restart (simple tokens live
 *   in etcd's memory) or a token TTL, etcd cancels the re-created watcher ("invalid auth token")
 *   and etcd3 gives up on it. The store authenticates again and resumes from the last revision;
 * - a refused password or permission is reported by `health()` with its code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { pino, type Logger } from 'pino';
import { Secret, type EtcdTlsOptions } from '../../src/config/store/etcd-access.js';
import { EtcdStore, type EtcdStoreOptions } from '../../src/config/store/etcd-store.js';
import { etcdctl, startEtcd, type EtcdProcess } from '../support/etcd.js';
import { enableAuth, rootctl, setPassword } from '../support/etcd-auth.js';
import { mintPki, type CertFiles, type Pki } from '../support/pki.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { Recorder, until } from '../support/store-recorder.js';

const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
const ADMIN_PASSWORD = `apw-${randomBytes(6).toString('hex')}`;
const OUTSIDER_PASSWORD = `opw-${randomBytes(6).toString('hex')}`;


async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(p, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    caught = err as Error;
    return true;
  });
  return caught as Error;
}

function capturingLogger(): { logger: Logger; text: () => string; msgs: () => string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { logger, text: () => lines.join(''), msgs: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg) };
}

/** Any unhandled error during these tests would mean the store let one escape. */
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);

let pki: Pki;
let junctionCert: CertFiles;
let etcd: EtcdProcess;
let tls: EtcdTlsOptions;

before(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  pki = await mintPki('etcd-secure');
  const harness = await pki.client('harness');
  // its CN is no etcd user: the store's identity comes from the password alone
  junctionCert = await pki.client('junction-client');
  etcd = await startEtcd({ name: 'etcd-secure', tls: { ca: pki.ca, server: pki.server, clientCertAuth: true, client: harness } });
  await enableAuth(etcd, {
    junction: [PASSWORD, ['junction']],
    'junction-writer': [ADMIN_PASSWORD, ['junction-admin']],
    outsider: [OUTSIDER_PASSWORD, []],
  });
  tls = { ca: readFileSync(pki.ca), cert: readFileSync(junctionCert.cert), key: readFileSync(junctionCert.key) };
});
after(async () => {
  await etcd?.cleanup();
  await pki?.cleanup();
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  assert.deepEqual(escaped, [], 'no error escaped the store');
});

const newPrefix = (): string => `/sec-${randomBytes(3).toString('hex')}/junction`;

function secureStore(prefix: string, opts: Partial<EtcdStoreOptions> = {}): Promise<EtcdStore> {
  return EtcdStore.open({
    endpoints: [etcd.endpoint],
    prefix,
    tls,
    auth: { username: 'junction', password: new Secret(PASSWORD) },
    callTimeoutMs: 2000,
    ...opts,
  });
}

describe('etcd store: TLS and authentication', () => {
  test('TLS with a client certificate and an etcd user: loads, watches, writes its own keys, is refused the rest', async () => {
    // the role is granted on /junction/ (docs/stores.md), so this test uses that prefix
    const p = '/junction';
    await rootctl(etcd, 'put', `${p}/routes/a`, 'a');
    const store = await secureStore(p);
    try {
      assert.ok(etcd.endpoint.startsWith('https://'));
      assert.equal(store.health().connected, true, JSON.stringify(store.health()));
      const snap = await store.load();
      assert.deepEqual(
        snap.kvs.map((kv) => [kv.key, kv.value]),
        [[`${p}/routes/a`, 'a']],
      );
      const rec = new Recorder();
      const w = store.watch(snap.revision + 1, rec.onUpdate);
      await rootctl(etcd, 'put', `${p}/routes/b`, 'b');
      await rec.untilKey(`${p}/routes/b`);

      // the junction role writes Junction's own keys, and nothing else
      for (const own of ['status/i1', 'locks/acme', 'acme-state/account', 'certs/acme-shop', 'guards/api', 'rollout-status/r1']) {
        await store.put(`${p}/${own}`, '{}');
      }
      const ephemeral = store.ephemeral(`${p}/status/i2`, 5);
      await ephemeral.set('{}');
      await ephemeral.close();
      for (const other of ['routes/x', 'backends/x', 'certs/manual', 'acme/x']) {
        const err = await rejectsWithCode(store.put(`${p}/${other}`, '{}'), 'store_forbidden');
        assert.match(err.message, /permission denied.*etcd user "junction"/);
      }
      await rejectsWithCode(store.txn([{ op: 'put', key: `${p}/routes/x`, value: '{}' }]), 'store_forbidden');
      assert.equal(store.health().connected, true, 'a refused write is no reason to call the store stale');
      await w.close();
    } finally {
      await store.close();
    }
    // the junction-admin role writes the whole prefix
    const writer = await secureStore(p, { auth: { username: 'junction-writer', password: new Secret(ADMIN_PASSWORD) } });
    try {
      await writer.put(`${p}/routes/x`, '{}');
      assert.equal((await writer.get(`${p}/routes/x`))?.value, '{}');
    } finally {
      await writer.close();
    }
  });

  test('etcd restarted under the store: it authenticates again and the watch resumes from the last revision, without a reload', async () => {
    const p = '/junction';
    const { logger, msgs, text } = capturingLogger();
    // no periodic probe: nothing but the watch talks to etcd after the restart, so the watch
    // reconnects with its old token, which etcd refuses (with the probe, either may come first)
    const store = await secureStore(p, { logger, probeIntervalMs: 600_000 });
    try {
      const rec = new Recorder();
      const w = store.watch((await store.load()).revision + 1, rec.onUpdate);
      const before = JSON.parse(await rootctl(etcd, 'put', `${p}/routes/before-restart`, '1', '-w', 'json')) as { header: { revision: number } };
      await rec.untilKey(`${p}/routes/before-restart`);

      await etcd.stop();
      await until('health to report disconnected', () => !store.health().connected, 5000);
      await etcd.start();
      // written at once, before the store has necessarily noticed etcd is back: the watch must
      // replay it from where it stopped
      await rootctl(etcd, 'put', `${p}/routes/after-restart-1`, '1');
      await rootctl(etcd, 'put', `${p}/routes/after-restart-2`, '2');
      await rec.untilKey(`${p}/routes/after-restart-2`, 30_000);
      await until('health to reconnect', () => store.health().connected, 15_000);
      await rootctl(etcd, 'put', `${p}/routes/after-restart-3`, '3');
      await rec.untilKey(`${p}/routes/after-restart-3`);

      assert.ok(
        rec.updates.every((u) => u.kind === 'changes'),
        `resumed without a reset (a full reload): ${JSON.stringify(rec.updates.map((u) => u.kind))}`,
      );
      const keys = rec.events().map((e) => e.key.slice(p.length + 1));
      assert.deepEqual(
        keys.filter((k) => k.startsWith('routes/')),
        ['routes/before-restart', 'routes/after-restart-1', 'routes/after-restart-2', 'routes/after-restart-3'],
        'every change once, in order',
      );
      assert.ok(rec.events().every((e) => e.modRevision > before.header.revision || e.key.endsWith('before-restart')));
      // the restart really cost the store its token: the watch was refused, then resumed
      assert.ok(
        msgs().some((m) => m.includes('etcd refused the watch for its credentials')),
        `the restart invalidated the token (else this test proves nothing):\n${msgs().join('\n')}`,
      );
      assert.ok(!msgs().some((m) => m.includes('reloading the whole prefix')));
      assert.ok(!text().includes(PASSWORD), 'the password is never logged');
      // and unary calls work with the new token
      await store.put(`${p}/status/after-restart`, '{}');
      await w.close();
    } finally {
      await store.close();
    }
  });

  test('a wrong password: store_unauthorized in health and from calls, never the password; fixed in etcd, the store recovers', async () => {
    const p = '/junction';
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const { logger, text } = capturingLogger();
    const store = await secureStore(p, { logger, auth: { username: 'junction', password: new Secret(wrong) } });
    try {
      const h = store.health();
      assert.equal(h.connected, false);
      assert.equal(h.errorCode, 'store_unauthorized');
      assert.match(h.error ?? '', /authentication failed: etcd refused the password of user "junction"/);
      const err = await rejectsWithCode(store.load(), 'store_unauthorized');
      assert.ok(!err.message.includes(wrong) && !(h.error ?? '').includes(wrong));
      const rec = new Recorder();
      const w = store.watch(1, rec.onUpdate);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(store.health().errorCode, 'store_unauthorized');
      assert.deepEqual(rec.updates, []);

      // the operator sets the password Junction has: it gets in at its next try (backing off, <= 15 s)
      await setPassword(etcd, 'junction', wrong);
      await until('health to recover', () => store.health().connected, 25_000, () => JSON.stringify(store.health()));
      await rootctl(etcd, 'put', `${p}/routes/after-fix`, '1');
      await rec.untilKey(`${p}/routes/after-fix`, 25_000);
      await w.close();
      const logged = text();
      assert.ok(logged.includes('refuses the credentials'), 'the refusal is logged');
      assert.ok(!logged.includes(wrong), 'the password is never logged');
    } finally {
      await store.close();
      await setPassword(etcd, 'junction', PASSWORD);
    }
  });

  test('a user without read permission on the prefix: store_forbidden; granted, the store recovers', async () => {
    const p = newPrefix();
    const store = await secureStore(p, { auth: { username: 'outsider', password: new Secret(OUTSIDER_PASSWORD) } });
    try {
      const h = store.health();
      assert.equal(h.connected, false);
      assert.equal(h.errorCode, 'store_forbidden');
      assert.match(h.error ?? '', /permission denied \(the roles of etcd user "outsider" do not allow it\)/);
      await rejectsWithCode(store.load(), 'store_forbidden');

      await rootctl(etcd, 'role', 'add', 'outsider');
      await rootctl(etcd, 'role', 'grant-permission', 'outsider', '--prefix=true', 'read', `${p}/`);
      await rootctl(etcd, 'user', 'grant-role', 'outsider', 'outsider');
      await until('health to recover', () => store.health().connected, 10_000, () => JSON.stringify(store.health()));
      await rootctl(etcd, 'put', `${p}/routes/a`, '1');
      assert.deepEqual((await store.load()).kvs.map((kv) => kv.key), [`${p}/routes/a`]);
    } finally {
      await store.close();
    }
  });

  test('TLS refused: a CA that did not sign etcd\'s certificate, or no client certificate, is reported unavailable', async () => {
    const other = await mintPki('other');
    try {
      const wrongCa = await secureStore(newPrefix(), { tls: { ...tls, ca: readFileSync(other.ca) } });
      try {
        assert.equal(wrongCa.health().connected, false);
        assert.equal(wrongCa.health().errorCode, 'store_unavailable');
        await rejectsWithCode(wrongCa.load(), 'store_unavailable');
      } finally {
        await wrongCa.close();
      }
      const noCert = await secureStore(newPrefix(), { tls: { ca: tls.ca } });
      try {
        assert.equal(noCert.health().connected, false);
        await rejectsWithCode(noCert.load(), 'store_unavailable');
      } finally {
        await noCert.close();
      }
    } finally {
      await other.cleanup();
    }
  });
});

describe('etcd store: auth tokens that expire (--auth-token-ttl), on plain http', () => {
  let ttlEtcd: EtcdProcess;
  before(async () => {
    ttlEtcd = await startEtcd({ name: 'etcd-ttl', args: ['--auth-token-ttl', '1'] });
  });
  after(async () => {
    await ttlEtcd?.cleanup();
  });

  test('a user given to an etcd without authentication is refused with a clear message', async () => {
    const store = await EtcdStore.open({ endpoints: [ttlEtcd.endpoint], prefix: newPrefix(), auth: { username: 'junction', password: new Secret('x') }, callTimeoutMs: 2000 });
    try {
      assert.equal(store.health().errorCode, 'store_unauthorized');
      assert.match(store.health().error ?? '', /etcd has authentication disabled, yet a user \("junction"\) was given/);
    } finally {
      await store.close();
    }
  });

  test('the token expired while the watch ran, then the connection dropped: the watch authenticates again and resumes, without a reload', async () => {
    await enableAuth(ttlEtcd, { junction: [PASSWORD, ['junction']] });
    const p = '/junction';
    const proxy = await startTcpProxy(Number(new URL(ttlEtcd.endpoint).port));
    const { logger, msgs } = capturingLogger();
    // no probe to keep the token in use: it expires after 1 s idle
    const store = await EtcdStore.open({
      endpoints: [proxy.url],
      prefix: p,
      auth: { username: 'junction', password: new Secret(PASSWORD) },
      callTimeoutMs: 2000,
      probeIntervalMs: 600_000,
      logger,
    });
    try {
      const rec = new Recorder();
      const w = store.watch((await store.load()).revision + 1, rec.onUpdate);
      await rootctl(ttlEtcd, 'put', `${p}/routes/a`, '1');
      await rec.untilKey(`${p}/routes/a`);
      await new Promise((r) => setTimeout(r, 3000));

      proxy.cut();
      await rootctl(ttlEtcd, 'put', `${p}/routes/while-cut`, '2');
      await new Promise((r) => setTimeout(r, 300));
      proxy.heal();
      await rec.untilKey(`${p}/routes/while-cut`, 20_000);
      await rootctl(ttlEtcd, 'put', `${p}/routes/b`, '3');
      await rec.untilKey(`${p}/routes/b`);
      assert.ok(rec.updates.every((u) => u.kind === 'changes'), 'resumed without a reset');
      assert.deepEqual(
        rec.events().map((e) => e.key),
        [`${p}/routes/a`, `${p}/routes/while-cut`, `${p}/routes/b`],
      );
      assert.ok(
        msgs().some((m) => m.includes('etcd refused the watch for its credentials')),
        `the expired token was refused (else this test proves nothing):\n${msgs().join('\n')}`,
      );
      // a unary call after the TTL: etcd3 authenticates again by itself
      await new Promise((r) => setTimeout(r, 2500));
      await store.put(`${p}/status/x`, '{}');
      await w.close();
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe('etcd store: security options', () => {
  test('endpoints and TLS options that cannot work are refused when the store is made', async () => {
    const cases: Array<[Partial<EtcdStoreOptions>, RegExp]> = [
      [{ endpoints: ['http://127.0.0.1:1', 'https://127.0.0.1:2'] }, /mix http:\/\/ and https:\/\//],
      [{ endpoints: ['http://127.0.0.1:1'], tls: {} }, /need https:\/\/ endpoints/],
      [{ endpoints: ['https://127.0.0.1:1'], tls: { cert: Buffer.from('x') } }, /client certificate needs its private key/],
      [{ endpoints: ['https://127.0.0.1:1'], tls: { key: Buffer.from('x') } }, /client certificate needs its private key/],
    ];
    for (const [opts, message] of cases) {
      await assert.rejects(EtcdStore.open({ endpoints: [], prefix: '/junction', ...opts }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'invalid_request');
        assert.match(err.message, message);
        return true;
      });
    }
  });

  test('a Secret never prints its value', () => {
    const s = new Secret('hunter2');
    const holder = { auth: { username: 'junction', password: s } };
    assert.equal(s.reveal(), 'hunter2');
    for (const printed of [JSON.stringify(holder), String(s), `${s}`, inspect(holder, { depth: 5 }), inspect(s)]) {
      assert.ok(!printed.includes('hunter2'), printed);
      assert.ok(printed.includes('redacted'), printed);
    }
  });
});
