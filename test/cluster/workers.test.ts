/**
 * `junction serve --workers 2` as a user runs it: a real process tree (primary + two workers),
 * real upstreams, the embedded store and a real etcd.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { etcdctl, freePort, startEtcd } from '../support/etcd.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { run, spawnServe } from '../cli/cli-process.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface WorkerRow {
  index: number;
  pid: number;
  state: string;
  revision: number;
  restarts: number;
}

async function json<T>(url: string, init: { method?: 'PUT' | 'GET'; body?: string } = {}): Promise<{ status: number; body: T }> {
  const r = await request(url, { method: init.method ?? 'GET', ...(init.body === undefined ? {} : { body: init.body, headers: { 'content-type': 'application/json' } }) });
  return { status: r.statusCode, body: (await r.body.json()) as T };
}

async function workers(admin: number): Promise<WorkerRow[]> {
  return (await json<{ workers: WorkerRow[] }>(`http://127.0.0.1:${admin}/api/v1/workers`)).body.workers;
}

/** one request on a connection of its own (so the primary hands each to the next worker) */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, timeout: 10_000 }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error(`no answer from ${url} within 10 s`));
      })
      .on('error', reject);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** an upstream that remembers which proxy connections (source ports) reached it; /slow answers after 1.5 s */
async function portUpstream(name: string): Promise<{ up: TestUpstream; ports: Set<number> }> {
  const ports = new Set<number>();
  const up = await startUpstream(name, (req, res) => {
    ports.add(req.socket.remotePort ?? 0);
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream: name }));
    };
    if (req.url === '/slow') setTimeout(answer, 1500);
    else answer();
  });
  return { up, ports };
}

/** the revision that last wrote `key` (not the store's current one: status-key writes move that) */
async function modRevision(endpoint: string, key: string): Promise<number> {
  return Number((JSON.parse(await etcdctl([endpoint], 'get', key, '-w', 'json')) as { kvs: Array<{ mod_revision: number }> }).kvs[0]?.mod_revision);
}

function metric(text: string, line: RegExp): number {
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? Number.NaN : Number(m.slice(m.lastIndexOf(' ') + 1));
}

test('--workers 2 on the embedded store: both workers serve one revision, metrics add up, a killed worker is replaced, SIGTERM drains all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-workers-'));
  dirs.push(dir);
  const { up, ports } = await portUpstream('w-up');
  const [port, admin] = [await freePort(), await freePort()];
  const p = spawnServe(['--workers', '2', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--data-dir', dir, '--access-log', 'off'], {
    JUNCTION_SHUTDOWN_TIMEOUT_MS: '8000',
  });
  const adminUrl = `http://127.0.0.1:${admin}`;
  let pids: number[] = [];
  try {
    await waitFor('readyz', async () => (await request(`${adminUrl}/readyz`)).statusCode === 200, 20_000, 100);
    // REST writes reach the primary's store; both workers apply them from their watch
    assert.equal((await json(`${adminUrl}/api/v1/backends/b1`, { method: 'PUT', body: JSON.stringify({ servers: [{ id: 's1', url: up.url }] }) })).status, 201);
    const put = await json<{ modRevision: number }>(`${adminUrl}/api/v1/routes/r1`, {
      method: 'PUT',
      body: JSON.stringify({ match: { pathPrefix: '/' }, backend: 'b1' }),
    });
    assert.equal(put.status, 201);
    const rows = await waitFor('both workers on the route revision', async () => {
      const w = await workers(admin);
      return w.length === 2 && w.every((r) => r.state === 'ready' && r.revision >= put.body.modRevision) ? w : undefined;
    });
    pids = rows.map((r) => r.pid);
    assert.equal(new Set(pids).size, 2, 'two worker processes');
    assert.ok(pids.every((pid) => pid !== p.child.pid && alive(pid)));

    for (let i = 0; i < 30; i++) assert.equal((await getFresh(`http://127.0.0.1:${port}/x${i}`)).status, 200);
    assert.ok(ports.size >= 2, `each worker has its own upstream pool: ${ports.size} upstream connection(s) seen`);

    const metrics = await (await request(`${adminUrl}/metrics`)).body.text();
    assert.equal(metric(metrics, /^junction_http_requests_total\{route="r1",backend="b1",code="200"\}/), 30, 'the counter is summed over both workers');
    assert.equal(metric(metrics, /^junction_workers\{state="ready"\}/), 2);
    assert.ok(metric(metrics, /^junction_config_revision /) >= put.body.modRevision);

    const status = await json<{ ready: boolean; workers: WorkerRow[]; worker: { index: number } }>(`${adminUrl}/api/v1/status`);
    assert.equal(status.body.ready, true);
    assert.equal(status.body.workers.length, 2);
    assert.equal(status.body.worker.index, 0, 'the status comes from the first ready worker');
    // the REST API is passed on to a worker: reads see the store
    assert.equal((await json<{ backend: string }>(`${adminUrl}/api/v1/routes/r1`)).body.backend, 'b1');

    // a worker killed outright is replaced; the other keeps serving meanwhile
    const victim = rows.find((r) => r.index === 1) as WorkerRow;
    process.kill(victim.pid, 'SIGKILL');
    for (let i = 0; i < 10; i++) assert.equal((await getFresh(`http://127.0.0.1:${port}/during${i}`)).status, 200);
    const replaced = await waitFor('a replacement worker', async () => {
      const w = await workers(admin);
      const r = w.find((x) => x.index === 1);
      return r && r.pid !== victim.pid && r.state === 'ready' && r.restarts === 1 ? w : undefined;
    }, 20_000, 100);
    pids = replaced.map((r) => r.pid);
    assert.ok(!alive(victim.pid));
    const after = await (await request(`${adminUrl}/metrics`)).body.text();
    assert.equal(metric(after, /^junction_worker_restarts_total /), 1);

    // SIGTERM while a request is in flight: it completes, readyz turns 503, everything exits
    const slow = getFresh(`http://127.0.0.1:${port}/slow`);
    await waitFor('/slow to reach the upstream', () => up.seen.some((r) => r.url === '/slow'), 10_000, 5);
    p.child.kill('SIGTERM');
    await waitFor('readyz 503 while draining', async () => (await request(`${adminUrl}/readyz`)).statusCode === 503, 5000, 20);
    assert.equal((await slow).status, 200, 'the in-flight request finished during the drain');
    assert.equal(await p.exited, 0, p.output());
    await waitFor('every worker gone', () => pids.every((pid) => !alive(pid)), 5000, 50);
  } finally {
    p.child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await up.close();
  }
});

test('--workers 2 on etcd: an etcdctl change reaches both workers; a bad value is rejected by both and the last good route serves', async () => {
  const etcd = await startEtcd({ name: 'workers' });
  const a = await portUpstream('a');
  const b = await portUpstream('b');
  const [port, admin] = [await freePort(), await freePort()];
  const p = spawnServe(['--workers', '2', '--etcd', etcd.endpoint, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--access-log', 'off']);
  let pids: number[] = [];
  try {
    await etcdctl([etcd.endpoint], 'put', '/junction/backends/a', JSON.stringify({ servers: [{ id: 'a1', url: a.up.url }] }));
    await etcdctl([etcd.endpoint], 'put', '/junction/backends/b', JSON.stringify({ servers: [{ id: 'b1', url: b.up.url }] }));
    await etcdctl([etcd.endpoint], 'put', '/junction/routes/r', JSON.stringify({ match: { pathPrefix: '/' }, backend: 'a' }));
    await waitFor('readyz', async () => (await request(`http://127.0.0.1:${admin}/readyz`)).statusCode === 200, 20_000, 100);
    // no worker takes a connection before it is configured: right after readyz, every fresh
    // connection (whichever worker accepts it) is served by the route
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => getFresh(`http://127.0.0.1:${port}/first${i}`)));
    assert.deepEqual(
      first.map((r) => `${r.status} ${r.body.includes('"a"') ? 'a' : r.body}`),
      first.map(() => '200 a'),
    );
    pids = (await workers(admin)).map((r) => r.pid);

    await etcdctl([etcd.endpoint], 'put', '/junction/routes/r', JSON.stringify({ match: { pathPrefix: '/' }, backend: 'b' }));
    const rev = await modRevision(etcd.endpoint, '/junction/routes/r');
    await waitFor('both workers at the revision', async () => (await workers(admin)).every((r) => r.revision >= rev && r.state === 'ready'));
    const seen = await Promise.all(Array.from({ length: 12 }, (_, i) => getFresh(`http://127.0.0.1:${port}/n${i}`)));
    assert.deepEqual([...new Set(seen.map((s) => (JSON.parse(s.body) as { upstream: string }).upstream))], ['b'], 'every worker serves the new route');

    await etcdctl([etcd.endpoint], 'put', '/junction/routes/r', '{"match": {"pathPrefix": "/"}, "backend": ');
    const bad = await modRevision(etcd.endpoint, '/junction/routes/r');
    await waitFor('both workers saw the bad revision', async () => (await workers(admin)).every((r) => r.revision >= bad));
    const still = await Promise.all(Array.from({ length: 12 }, (_, i) => getFresh(`http://127.0.0.1:${port}/m${i}`)));
    assert.ok(still.every((s) => s.status === 200 && s.body.includes('"b"')), 'the last good route keeps serving on both workers');
    const status = await json<{ errors: Array<{ key: string }> }>(`http://127.0.0.1:${admin}/api/v1/status`);
    assert.ok(status.body.errors.some((e) => e.key === '/junction/routes/r'));
    const metrics = await (await request(`http://127.0.0.1:${admin}/metrics`)).body.text();
    assert.equal(metric(metrics, /^junction_config_errors /), 1, 'a gauge is not summed over the workers');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.output());
  } finally {
    p.child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all([a.up.close(), b.up.close(), etcd.cleanup()]);
  }
});

test('--workers 2 with the proxy port taken: exits 1 with one line naming the address', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-workers-busy-'));
  dirs.push(dir);
  const blocker = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const r = await run(['serve', '--workers', '2', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${await freePort()}`, '--data-dir', dir], {}, 20_000);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^junction: worker \\d could not start: cannot listen on 127\\.0\\.0\\.1:${port} \\(proxy\\): address already in use\\n$`));
  } finally {
    blocker.close();
  }
});

test('--workers 2: when the primary is killed outright, no worker is left behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-workers-orphan-'));
  dirs.push(dir);
  const [port, admin] = [await freePort(), await freePort()];
  const p = spawnServe(['--workers', '2', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--data-dir', dir, '--access-log', 'off']);
  let pids: number[] = [];
  try {
    const rows = await waitFor('two ready workers', async () => {
      const w = await workers(admin);
      return w.length === 2 && w.every((r) => r.state === 'ready') ? w : undefined;
    }, 20_000, 100);
    pids = rows.map((r) => r.pid);
    assert.ok(pids.every(alive));
    p.child.kill('SIGKILL');
    await waitFor('every worker gone', () => pids.every((pid) => !alive(pid)), 5000, 50);
  } finally {
    p.child.kill('SIGKILL');
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
