/**
 * `junction serve` on a secured etcd (SPEC §9), as an operator runs it: etcd with TLS and
 * `--client-cert-auth`, authentication enabled, the roles docs/stores.md gives; Junction with
 * --etcd-ca/--etcd-cert/--etcd-key and --etcd-user/--etcd-password-file. Real processes; what
 * Junction logs is captured whole and searched for the password.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { spawnServe } from '../cli/cli-process.js';
import { freePort, startEtcd, type EtcdProcess } from '../support/etcd.js';
import { enableAuth, rootctl, setPassword } from '../support/etcd-auth.js';
import { mintPki, type CertFiles, type Pki } from '../support/pki.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { sleep, waitFor } from '../support/wait.js';

const PASSWORD = `jpw-${randomBytes(8).toString('hex')}`;
const OUTSIDER_PASSWORD = `opw-${randomBytes(8).toString('hex')}`;

let pki: Pki;
let client: CertFiles;
let etcd: EtcdProcess;
let up: TestUpstream;
let dir: string;
let pwFile: string;

before(async () => {
  pki = await mintPki('junction-secure');
  const harness = await pki.client('harness');
  client = await pki.client('junction-client');
  etcd = await startEtcd({ name: 'junction-secure', tls: { ca: pki.ca, server: pki.server, clientCertAuth: true, client: harness } });
  await enableAuth(etcd, { junction: [PASSWORD, ['junction']], outsider: [OUTSIDER_PASSWORD, []] });
  up = await startUpstream('secure-up');
  await rootctl(etcd, 'put', '/junction/backends/b', JSON.stringify({ servers: [{ id: 's1', url: up.url }] }));
  await rootctl(etcd, 'put', '/junction/routes/first', JSON.stringify({ match: { pathPrefix: '/first/' }, backend: 'b' }));
  dir = mkdtempSync(join(tmpdir(), 'junction-secure-'));
  pwFile = join(dir, 'etcd-password');
  writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
});
after(async () => {
  await etcd?.cleanup();
  await up?.close();
  await pki?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Running {
  readonly proxy: string;
  readonly admin: string;
  readonly pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** `junction serve` with the secure flags (`extra` after them), waited for until it answers /healthz. */
async function serveSecure(extra: string[] = [], env: NodeJS.ProcessEnv = {}, id = 'secure-1'): Promise<Running> {
  const [port, admin] = [await freePort(), await freePort()];
  const p = spawnServe(
    [
      '--etcd', etcd.endpoint,
      '--etcd-ca', pki.ca,
      '--etcd-cert', client.cert,
      '--etcd-key', client.key,
      '--listen', `127.0.0.1:${port}`,
      '--admin', `127.0.0.1:${admin}`,
      '--instance-id', id,
      '--log-level', 'debug',
      ...extra,
    ],
    env,
  );
  const running: Running = {
    proxy: `http://127.0.0.1:${port}`,
    admin: `http://127.0.0.1:${admin}`,
    pid: p.child.pid as number,
    output: p.output,
    stop: async () => {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      const code = await Promise.race([p.exited, sleep(15_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    },
  };
  try {
    await waitFor('healthz', async () => (await statusOf(`${running.admin}/healthz`)) === 200, 15_000, 100);
  } catch (err) {
    await running.stop();
    throw new Error(`${String(err)}\n${p.output()}`);
  }
  return running;
}

async function statusOf(url: string): Promise<number> {
  const r = await request(url);
  await r.body.dump();
  return r.statusCode;
}

interface StoreStatus {
  connected: boolean;
  stale: boolean;
  stalenessSeconds: number;
  error?: string;
  errorCode?: string;
}

async function storeStatus(j: Running): Promise<StoreStatus> {
  const r = await request(`${j.admin}/api/v1/status`);
  return ((await r.body.json()) as { store: StoreStatus }).store;
}

async function staleness(j: Running): Promise<number> {
  const r = await request(`${j.admin}/metrics`);
  const m = /^junction_config_staleness_seconds (\S+)$/m.exec(await r.body.text());
  return Number(m?.[1]);
}

/** the upstream's name when `path` is served, else the status and error code */
async function served(j: Running, path: string): Promise<string> {
  const r = await request(`${j.proxy}${path}`);
  const body = (await r.body.json()) as { upstream?: string; error?: string };
  return r.statusCode === 200 ? (body.upstream ?? '?') : `${r.statusCode} ${body.error}`;
}

function untilServed(j: Running, path: string, timeoutMs = 15_000): Promise<unknown> {
  return waitFor(`${path} to be served`, async () => (await served(j, path)) === 'secure-up', timeoutMs, 100).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- junction's output:\n${j.output().slice(-4000)}`);
  });
}

function assertNoPassword(j: Running, ...passwords: string[]): void {
  const out = j.output();
  assert.ok(out.length > 0);
  for (const pw of passwords) assert.ok(!out.includes(pw), 'the password is never logged');
  const cmdline = readFileSync(`/proc/${j.pid}/cmdline`, 'utf8').split('\0');
  const environ = readFileSync(`/proc/${j.pid}/environ`, 'utf8');
  for (const pw of passwords) {
    assert.ok(!cmdline.some((a) => a.includes(pw)), 'the password is not in ps');
    assert.ok(!environ.includes(pw), 'nor in the environment (it came from the file)');
  }
}

test('mutual TLS and an etcd user: the configuration loads and changes apply; etcd restarted, later changes still apply without a reload', async () => {
  const j = await serveSecure(['--etcd-user', 'junction', '--etcd-password-file', pwFile]);
  try {
    await waitFor('readyz', async () => (await statusOf(`${j.admin}/readyz`)) === 200, 15_000, 100);
    assert.equal(await served(j, '/first/x'), 'secure-up');
    const s = await storeStatus(j);
    assert.equal(s.connected, true, JSON.stringify(s));
    assert.equal(s.errorCode, undefined);
    // its own key, which the junction role may write
    await waitFor('the status key', async () => (await rootctl(etcd, 'get', '/junction/status/secure-1', '--print-value-only')).includes('"secure-1"'), 10_000, 100);

    // its role writes no configuration: the admin API's write is refused alone, the store is not stale
    const refused = await request(`${j.admin}/api/v1/routes/nope`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { pathPrefix: '/nope/' }, backend: 'b' }),
    });
    const answer = (await refused.body.json()) as { error: string; message: string };
    assert.equal(refused.statusCode, 500, JSON.stringify(answer));
    assert.equal(answer.error, 'store_error');
    assert.match(answer.message, /permission denied \(the roles of etcd user "junction" do not allow it\)/);
    assert.equal((await storeStatus(j)).connected, true);

    await rootctl(etcd, 'put', '/junction/routes/second', JSON.stringify({ match: { pathPrefix: '/second/' }, backend: 'b' }));
    await untilServed(j, '/second/x');

    await etcd.stop();
    await waitFor('the status to say disconnected', async () => (await storeStatus(j)).errorCode === 'store_unavailable', 10_000, 100);
    assert.equal(await served(j, '/second/x'), 'secure-up', 'the last configuration keeps serving');
    await etcd.start();
    // changed at once, before Junction has necessarily noticed etcd is back (and lost its token)
    await rootctl(etcd, 'put', '/junction/routes/third', JSON.stringify({ match: { pathPrefix: '/third/' }, backend: 'b' }));
    await untilServed(j, '/third/x', 30_000);
    await rootctl(etcd, 'put', '/junction/routes/fourth', JSON.stringify({ match: { pathPrefix: '/fourth/' }, backend: 'b' }));
    await untilServed(j, '/fourth/x');
    await waitFor('connected again', async () => (await storeStatus(j)).connected, 10_000, 100);

    // Whether the restart cost the watch its token depends on a race: the watch reconnecting with
    // its old token (refused: then it authenticates again and resumes) or the probe getting a new
    // token first (then the watch reconnects with it). Either way no change is lost and nothing is
    // reloaded. test/config/etcd-secure-store.test.ts forces the first case.
    assert.doesNotMatch(j.output(), /reloading the whole prefix/, 'the watch resumed: no reload');
    assertNoPassword(j, PASSWORD);
  } finally {
    await j.stop();
    await rootctl(etcd, 'del', '/junction/routes/', '--prefix');
    await rootctl(etcd, 'put', '/junction/routes/first', JSON.stringify({ match: { pathPrefix: '/first/' }, backend: 'b' }));
  }
});

test('its password changed in etcd: the status says store_unauthorized and the staleness grows, the last configuration serves; set back, Junction recovers', async () => {
  const j = await serveSecure(['--etcd-user', 'junction'], { JUNCTION_ETCD_PASSWORD: PASSWORD }, 'secure-2');
  const wrong = `changed-${randomBytes(6).toString('hex')}`;
  try {
    await waitFor('readyz', async () => (await statusOf(`${j.admin}/readyz`)) === 200, 15_000, 100);
    await untilServed(j, '/first/x');

    // changing a password in etcd also drops the tokens etcd gave that user
    await setPassword(etcd, 'junction', wrong);
    const s = await waitFor('store_unauthorized in the status', async () => {
      const st = await storeStatus(j);
      return st.errorCode === 'store_unauthorized' ? st : undefined;
    }, 10_000, 100);
    assert.equal(s.connected, false);
    assert.equal(s.stale, true);
    assert.match(s.error ?? '', /authentication failed: etcd refused the password of user "junction"/);
    await waitFor('the staleness to grow', async () => (await staleness(j)) >= 2, 10_000, 200);
    assert.ok((await storeStatus(j)).stalenessSeconds >= 2);
    assert.equal(await served(j, '/first/x'), 'secure-up', 'the last configuration keeps serving');
    assert.equal(await statusOf(`${j.admin}/readyz`), 200);

    await setPassword(etcd, 'junction', PASSWORD);
    // the probe backs off while refused (at most 15 s between tries)
    await waitFor('the store to be connected again', async () => (await storeStatus(j)).connected, 30_000, 200);
    assert.equal(await staleness(j), 0);
    await rootctl(etcd, 'put', '/junction/routes/after-fix', JSON.stringify({ match: { pathPrefix: '/after-fix/' }, backend: 'b' }));
    await untilServed(j, '/after-fix/x');
    assert.match(j.output(), /refuses the credentials; serving the last configuration until it returns/);
    // the password came from the environment here: only the log and argv are checked
    const out = j.output();
    assert.ok(!out.includes(PASSWORD) && !out.includes(wrong), 'no password is ever logged');
    assert.ok(!readFileSync(`/proc/${j.pid}/cmdline`, 'utf8').includes(PASSWORD), 'nor in ps');
  } finally {
    await j.stop();
    await setPassword(etcd, 'junction', PASSWORD);
    await rootctl(etcd, 'del', '/junction/routes/after-fix');
  }
});

test('a user whose roles do not allow reading the prefix: store_forbidden in the status, not ready', async () => {
  const pw = join(dir, 'outsider-password');
  writeFileSync(pw, OUTSIDER_PASSWORD);
  const j = await serveSecure(['--etcd-user', 'outsider', '--etcd-password-file', pw], {}, 'secure-3');
  try {
    const s = await waitFor('store_forbidden in the status', async () => {
      const st = await storeStatus(j);
      return st.errorCode === 'store_forbidden' ? st : undefined;
    }, 10_000, 100);
    assert.equal(s.connected, false);
    assert.match(s.error ?? '', /permission denied \(the roles of etcd user "outsider" do not allow it\)/);
    assert.equal(await statusOf(`${j.admin}/readyz`), 503);
    assertNoPassword(j, OUTSIDER_PASSWORD);
  } finally {
    await j.stop();
  }
});

test('--workers: the primary opens the store with the same TLS and credentials', async () => {
  const j = await serveSecure(['--etcd-user', 'junction', '--etcd-password-file', pwFile, '--workers', '2'], {}, 'secure-4');
  try {
    await waitFor('readyz', async () => (await statusOf(`${j.admin}/readyz`)) === 200, 20_000, 100);
    await untilServed(j, '/first/x');
    await rootctl(etcd, 'put', '/junction/routes/workers', JSON.stringify({ match: { pathPrefix: '/workers/' }, backend: 'b' }));
    await untilServed(j, '/workers/x');
    assertNoPassword(j, PASSWORD);
  } finally {
    await j.stop();
    await rootctl(etcd, 'del', '/junction/routes/workers');
  }
});

test('plain http:// etcd without authentication still works', async () => {
  const plain = await startEtcd({ name: 'junction-plain' });
  const [port, admin] = [await freePort(), await freePort()];
  const p = spawnServe(['--etcd', plain.endpoint, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--instance-id', 'plain-1']);
  try {
    await waitFor('readyz', async () => (await statusOf(`http://127.0.0.1:${admin}/readyz`)) === 200, 15_000, 100).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${p.output()}`);
    });
    await request(`http://127.0.0.1:${admin}/api/v1/backends/b`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ servers: [{ id: 's1', url: up.url }] }),
    }).then((r) => r.body.dump());
    await request(`http://127.0.0.1:${admin}/api/v1/routes/r`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { pathPrefix: '/plain/' }, backend: 'b' }),
    }).then((r) => r.body.dump());
    await waitFor('the route to serve', async () => {
      const r = await request(`http://127.0.0.1:${port}/plain/x`);
      await r.body.dump();
      return r.statusCode === 200;
    }, 10_000, 100);
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
    await plain.cleanup();
  }
});
