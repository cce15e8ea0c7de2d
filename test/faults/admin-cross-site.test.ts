/**
 * A web page must not be able to drive the admin API (docs/api.md, "Cross-site requests"). The
 * attacks are sent as the exact bytes a browser sends, over a raw socket, to a real Junction whose
 * admin listener has no token (the default: loopback, no token):
 *
 * - a "simple" cross-site POST (`Content-Type: text/plain`, no preflight) of a transaction;
 * - DNS rebinding: the page's own name now points at 127.0.0.1, so its requests are same-origin
 *   for the browser, but their `Host` is the attacker's name;
 * - the events WebSocket opened from a foreign page.
 *
 * Each is refused, and the store is checked afterwards: the route the attack tried to create does
 * not exist. Same-origin writes, curl-like writes without `Origin`, and the probes keep working.
 * The same holds on the `--workers` primary's listener, for what it answers itself and for what
 * it passes on to a worker.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { spawnServe } from '../cli/cli-process.js';
import { freePort } from '../support/etcd.js';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { waitFor } from '../support/wait.js';

/** The transaction a hostile page posts: a backend and a live route to it. */
const ATTACK_TX = JSON.stringify({
  ops: [
    { op: 'put', key: 'backends/evil', value: { servers: [{ id: 'a', url: 'http://127.0.0.1:1' }] } },
    { op: 'put', key: 'routes/evil', value: { match: { pathPrefix: '/' }, priority: 1000, backend: 'evil' } },
  ],
});

interface RawAnswer {
  readonly status: number;
  readonly head: string;
  readonly body: string;
  json(): any;
}

/**
 * Sends `request` as it is on a fresh connection and reads the answer: to the end of the
 * connection, or — for a `101 Switching Protocols` — to the end of its head (the socket then stays
 * open, so it is destroyed).
 */
function raw(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = '';
    const done = () => {
      const at = buf.indexOf('\r\n\r\n');
      const head = at < 0 ? buf : buf.slice(0, at);
      const body = at < 0 ? '' : buf.slice(at + 4);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body, json: () => JSON.parse(body) });
    };
    socket.setEncoding('latin1');
    socket.setTimeout(5000, () => socket.destroy(new Error(`no complete answer within 5 s: ${JSON.stringify(buf)}`)));
    socket.on('data', (d: string) => {
      buf += d;
      if (buf.startsWith('HTTP/1.1 101 ') && buf.includes('\r\n\r\n')) {
        socket.destroy();
        done();
      }
    });
    socket.on('end', done);
    socket.on('error', reject);
    socket.write(request);
  });
}

/** An HTTP/1.1 request as bytes: the request line, the headers in order, an optional body. */
function bytes(line: string, headers: Array<[string, string]>, body?: string): string {
  const all: Array<[string, string]> = [...headers, ...(body === undefined ? [] : [['Content-Length', String(Buffer.byteLength(body))] as [string, string]]), ['Connection', 'close']];
  return `${line}\r\n${all.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body ?? ''}`;
}

const upgradeHeaders: Array<[string, string]> = [
  ['Upgrade', 'websocket'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Sec-WebSocket-Version', '13'],
];
/** an upgrade request: `Connection: Upgrade`, not the `close` that `bytes` adds */
function upgrade(headers: Array<[string, string]>): string {
  return `GET /api/v1/events HTTP/1.1\r\n${[...headers, ...upgradeHeaders, ['Connection', 'Upgrade']].map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** A WebSocket upgrade with a foreign Origin, and one with a foreign Host (DNS rebinding): each a 403 with its code. */
async function foreignUpgradesRefused(port: number, self: string): Promise<void> {
  const foreign = await raw(port, upgrade([['Host', self], ['Origin', 'http://evil.example']]));
  assert.equal(foreign.status, 403, foreign.head);
  assert.equal(foreign.json().error, 'forbidden_origin');
  const rebound = await raw(port, upgrade([['Host', `evil.example:${port}`], ['Origin', `http://evil.example:${port}`]]));
  assert.equal(rebound.status, 403, rebound.head);
  assert.equal(rebound.json().error, 'forbidden_host');
}

describe('an admin listener without a token (loopback)', () => {
  let j: TestJunction;
  let port: number;
  let self: string;
  before(async () => {
    j = await startTestJunction();
    port = j.adminAddress.port;
    self = `127.0.0.1:${port}`;
  });
  after(async () => {
    await j?.stop();
  });

  const nothingWritten = async () => {
    assert.equal(await j.store.get('/junction/routes/evil'), undefined, 'the attack created no route');
    assert.equal(await j.store.get('/junction/backends/evil'), undefined, 'the attack created no backend');
  };

  test('a cross-site text/plain POST of a transaction is refused with 403 forbidden_origin; nothing is written', async () => {
    const r = await raw(
      port,
      bytes('POST /api/v1/tx HTTP/1.1', [['Host', self], ['Origin', 'http://evil.example'], ['Content-Type', 'text/plain']], ATTACK_TX),
    );
    assert.equal(r.status, 403, r.head + r.body);
    assert.equal(r.json().error, 'forbidden_origin');
    await nothingWritten();
  });

  test('a foreign Origin is refused on reads too, and so is Sec-Fetch-Site: cross-site without an Origin', async () => {
    for (const origin of ['http://evil.example', 'null', `https://${self}`, `http://127.0.0.1:${port + 1}`, `http://${self}.evil.example`]) {
      const r = await raw(port, bytes('GET /api/v1/status HTTP/1.1', [['Host', self], ['Origin', origin]]));
      assert.equal(r.status, 403, `Origin: ${origin}`);
      assert.equal(r.json().error, 'forbidden_origin');
    }
    // what <img src> or <script src> on a foreign page sends: no Origin on a no-cors GET
    const img = await raw(port, bytes('GET /api/v1/routes HTTP/1.1', [['Host', self], ['Sec-Fetch-Site', 'cross-site'], ['Sec-Fetch-Mode', 'no-cors']]));
    assert.equal(img.status, 403);
    assert.equal(img.json().error, 'forbidden_origin');
  });

  test('a body that is not declared application/json is refused with 415, Origin or not; nothing is written', async () => {
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const headers: Array<[string, string]> = [['Host', self], ...(type === undefined ? [] : [['Content-Type', type] as [string, string]])];
      const r = await raw(port, bytes('POST /api/v1/tx HTTP/1.1', headers, ATTACK_TX));
      assert.equal(r.status, 415, `Content-Type: ${type}: ${r.body}`);
      assert.equal(r.json().error, 'unsupported_media_type');
      assert.match(r.json().message, /application\/json/);
    }
    const put = await raw(port, bytes('PUT /api/v1/backends/evil HTTP/1.1', [['Host', self], ['Content-Type', 'text/plain']], '{"servers":[]}'));
    assert.equal(put.status, 415);
    await nothingWritten();
  });

  test('DNS rebinding: Host evil.example is refused with 403 forbidden_host even when Origin matches it; nothing is written', async () => {
    const evil = `evil.example:${port}`;
    const tx = await raw(
      port,
      bytes('POST /api/v1/tx HTTP/1.1', [['Host', evil], ['Origin', `http://${evil}`], ['Content-Type', 'application/json']], ATTACK_TX),
    );
    assert.equal(tx.status, 403, tx.head + tx.body);
    assert.equal(tx.json().error, 'forbidden_host');
    assert.match(tx.json().message, /loopback/);
    assert.match(tx.json().message, /--admin-token/);
    // reads would hand the page the whole configuration
    for (const host of [evil, 'evil.example', `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `localhost.:${port}`]) {
      const r = await raw(port, bytes('GET /api/v1/routes HTTP/1.1', [['Host', host]]));
      assert.equal(r.status, 403, `Host: ${host}`);
      assert.equal(r.json().error, 'forbidden_host');
    }
    await nothingWritten();
  });

  test('the events WebSocket: a foreign Origin or a foreign Host gets 403 before any handshake', async () => {
    await foreignUpgradesRefused(port, self);
    const crossSite = await raw(port, upgrade([['Host', self], ['Sec-Fetch-Site', 'cross-site']]));
    assert.equal(crossSite.status, 403, crossSite.head);
  });

  test('same-origin and curl-like writes still work; so do loopback names', async () => {
    // what the dashboard's fetch sends: its own origin
    const same = await raw(
      port,
      bytes(
        'PUT /api/v1/backends/b HTTP/1.1',
        [['Host', self], ['Origin', `http://${self}`], ['Sec-Fetch-Site', 'same-origin'], ['Content-Type', 'application/json; charset=utf-8']],
        JSON.stringify({ servers: [{ id: 'a', url: 'http://127.0.0.1:1' }] }),
      ),
    );
    assert.equal(same.status, 201, same.body);
    // curl -H 'content-type: application/json': no Origin at all
    const curl = await raw(
      port,
      bytes('POST /api/v1/tx HTTP/1.1', [['Host', self], ['User-Agent', 'curl/8.5.0'], ['Content-Type', 'application/json']], JSON.stringify({ ops: [{ op: 'put', key: 'routes/ok', value: { match: { pathPrefix: '/ok/' }, backend: 'b' } }] })),
    );
    assert.equal(curl.status, 200, curl.body);
    assert.notEqual(await j.store.get('/junction/routes/ok'), undefined);
    // a DELETE without a body needs no content type
    assert.equal((await raw(port, bytes('DELETE /api/v1/routes/ok HTTP/1.1', [['Host', self]]))).status, 200);
    for (const host of [`localhost:${port}`, `LocalHost:${port}`, `dash.localhost:${port}`, `127.0.0.2:${port}`, `[::1]:${port}`, 'localhost']) {
      const origin = host.includes(':') ? `http://${host.toLowerCase()}` : `http://${host}`;
      const r = await raw(port, bytes('GET /api/v1/routes HTTP/1.1', [['Host', host], ['Origin', origin]]));
      assert.equal(r.status, 200, `Host: ${host}, Origin: ${origin}: ${r.body}`);
    }
    // an Origin naming the default port the Host leaves out is the same origin
    assert.equal((await raw(port, bytes('GET /api/v1/routes HTTP/1.1', [['Host', 'localhost'], ['Origin', 'http://localhost:80']]))).status, 200);
  });

  test('a same-origin events WebSocket opens', async () => {
    assert.equal((await hello(self)).type, 'hello');
  });

  test('the probes, the metrics and the dashboard answer any Host', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/']) {
      const r = await raw(port, bytes(`GET ${path} HTTP/1.1`, [['Host', 'junction.internal'], ['Origin', 'http://evil.example']]));
      assert.equal(r.status, 200, `${path}: ${r.head}`);
    }
  });
});

/** Opens the events socket from the page `http://<host>` as a browser would (its Origin) and returns the hello. */
async function hello(host: string): Promise<any> {
  const ws = new WebSocket(`ws://${host}/api/v1/events`, ['junction.v1'], { origin: `http://${host}` });
  try {
    return await new Promise<any>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(String(d))));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  } finally {
    ws.close();
  }
}

describe('an admin listener with a token', () => {
  const TOKEN = 'xs-token';
  let j: TestJunction;
  before(async () => {
    j = await startTestJunction({ adminToken: TOKEN });
  });
  after(async () => {
    await j?.stop();
  });

  test('any Host is served (the token is what protects it), but a foreign Origin is still refused', async () => {
    const port = j.adminAddress.port;
    const ok = await raw(port, bytes('GET /api/v1/routes HTTP/1.1', [['Host', `junction.internal:${port}`], ['Authorization', `Bearer ${TOKEN}`]]));
    assert.equal(ok.status, 200, ok.body);
    const sameOrigin = await raw(
      port,
      bytes('GET /api/v1/routes HTTP/1.1', [['Host', `junction.internal:${port}`], ['Origin', `http://junction.internal:${port}`], ['Authorization', `Bearer ${TOKEN}`]]),
    );
    assert.equal(sameOrigin.status, 200, sameOrigin.body);
    const foreign = await raw(
      port,
      bytes('POST /api/v1/tx HTTP/1.1', [['Host', `junction.internal:${port}`], ['Origin', 'http://evil.example'], ['Authorization', `Bearer ${TOKEN}`], ['Content-Type', 'application/json']], ATTACK_TX),
    );
    assert.equal(foreign.status, 403, foreign.body);
    assert.equal(foreign.json().error, 'forbidden_origin');
    assert.equal(await j.store.get('/junction/routes/evil'), undefined);
  });
});

describe('the --workers primary (no token, loopback)', () => {
  let dir: string;
  let p: ReturnType<typeof spawnServe>;
  let port: number;
  let self: string;
  let workerPids: number[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'junction-xs-workers-'));
    port = await freePort();
    self = `127.0.0.1:${port}`;
    p = spawnServe(['--workers', '2', '--listen', `127.0.0.1:${await freePort()}`, '--admin', self, '--data-dir', dir, '--access-log', 'off'], {
      JUNCTION_ADMIN_TOKEN: '',
    });
    await waitFor('the primary ready', async () => (await raw(port, bytes('GET /readyz HTTP/1.1', [['Host', self]])).catch(() => ({ status: 0 }))).status === 200, 20_000, 100);
    const workers = (await raw(port, bytes('GET /api/v1/workers HTTP/1.1', [['Host', self]]))).json().workers as Array<{ pid: number }>;
    workerPids = workers.map((w) => w.pid);
  });
  after(async () => {
    p?.child.kill('SIGTERM');
    await Promise.race([p?.exited, new Promise((r) => setTimeout(r, 10_000))]);
    for (const pid of [p?.child.pid, ...workerPids]) {
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** what the store holds, asked through the primary as curl would */
  const stored = async (path: string) => (await raw(port, bytes(`GET ${path} HTTP/1.1`, [['Host', self]]))).status;

  test('a cross-site transaction, a rebound Host and a text/plain body are refused on the public listener; nothing is written', async () => {
    const foreign = await raw(port, bytes('POST /api/v1/tx HTTP/1.1', [['Host', self], ['Origin', 'http://evil.example'], ['Content-Type', 'text/plain']], ATTACK_TX));
    assert.equal(foreign.status, 403, foreign.head + foreign.body);
    assert.equal(foreign.json().error, 'forbidden_origin');
    const evil = `evil.example:${port}`;
    const rebound = await raw(port, bytes('POST /api/v1/tx HTTP/1.1', [['Host', evil], ['Origin', `http://${evil}`], ['Content-Type', 'application/json']], ATTACK_TX));
    assert.equal(rebound.status, 403, rebound.body);
    assert.equal(rebound.json().error, 'forbidden_host');
    const plain = await raw(port, bytes('POST /api/v1/tx HTTP/1.1', [['Host', self], ['Content-Type', 'text/plain']], ATTACK_TX));
    assert.equal(plain.status, 415, plain.body);
    // answered by the primary itself (status, workers) and passed on (routes): both refused
    for (const path of ['/api/v1/status', '/api/v1/workers', '/api/v1/routes']) {
      const r = await raw(port, bytes(`GET ${path} HTTP/1.1`, [['Host', evil]]));
      assert.equal(r.status, 403, `${path}: ${r.body}`);
      assert.equal(r.json().error, 'forbidden_host');
    }
    assert.equal(await stored('/api/v1/routes/evil'), 404);
    assert.equal(await stored('/api/v1/backends/evil'), 404);
  });

  test('the events socket through the primary: 403 for a foreign Origin or Host, open for its own page', async () => {
    await foreignUpgradesRefused(port, self);
    assert.equal((await hello(self)).type, 'hello');
  });

  test('a same-origin write passes through to a worker and lands; the probes answer any Host', async () => {
    const put = await raw(
      port,
      bytes('PUT /api/v1/backends/b HTTP/1.1', [['Host', self], ['Origin', `http://${self}`], ['Content-Type', 'application/json']], JSON.stringify({ servers: [{ id: 'a', url: 'http://127.0.0.1:1' }] })),
    );
    assert.equal(put.status, 201, put.body);
    assert.equal(await stored('/api/v1/backends/b'), 200);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.equal((await raw(port, bytes(`GET ${path} HTTP/1.1`, [['Host', 'junction.internal']]))).status, 200, path);
    }
  });
});
