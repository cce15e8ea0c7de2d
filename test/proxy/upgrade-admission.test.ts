// Upgrades pass the same admission as every request: the route's filters refuse a WebSocket
// upgrade exactly as they refuse a GET (same status, body and headers, nothing reaches the
// upstream), the Host and request-target checks apply, and the sticky canary cookie comes back
// on the 101. Requests are written as raw bytes, as a client (or an attacker) would send them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startTestJunction, type TestJunction } from '../support/junction.js';

const { hashPassword } = (await import(new URL('../../../filters/basic-auth.js', import.meta.url).href)) as {
  hashPassword: (password: string) => string;
};

interface WsUpstream {
  readonly name: string;
  readonly url: string;
  /** headers of every upgrade it accepted */
  readonly upgrades: IncomingHttpHeaders[];
  /** plain requests it answered */
  readonly plain: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startWsUpstream(name: string): Promise<WsUpstream> {
  const upgrades: IncomingHttpHeaders[] = [];
  const plain: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    plain.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`plain from ${name}`);
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upgrades.push(req.headers);
    ws.send(`hello from ${name}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    name,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upgrades,
    plain,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface RawAnswer {
  readonly status: number;
  /** lower-case names; repeated headers joined with ", " except set-cookie (first value) */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** bytes after the head (for a 101: the first WebSocket frames) */
  readonly rest: Buffer;
}

/**
 * Writes `bytes` on a fresh connection and reads the answer: up to the end of the body for a
 * plain answer (Content-Length or the connection closing), the head and the first frame for a 101.
 */
function raw(port: number, bytes: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete answer to ${JSON.stringify(bytes.split('\r\n')[0])}: ${Buffer.concat(chunks).toString('latin1')}`));
    }, 5000);
    const finish = (): boolean => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) return false;
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        headers[name] = headers[name] === undefined || name === 'set-cookie' ? (headers[name] ?? value) : `${headers[name]}, ${value}`;
      }
      const rest = all.subarray(end + 4);
      if (status === 101) {
        if (rest.length < 2) return false; // wait for the upstream's first frame
      } else if (headers['content-length'] !== undefined) {
        if (rest.length < Number(headers['content-length'])) return false;
      } else if (headers['transfer-encoding'] === 'chunked') {
        if (!rest.toString('latin1').endsWith('0\r\n\r\n')) return false;
      } else if (!s.readableEnded) return false;
      clearTimeout(timer);
      s.destroy();
      const body = status === 101 ? '' : headers['transfer-encoding'] === 'chunked' ? unchunk(rest) : rest.toString('utf8');
      resolve({ status, headers, body, rest });
      return true;
    };
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      finish();
    });
    s.on('end', () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(new Error(`connection closed before a complete answer: ${Buffer.concat(chunks).toString('latin1')}`));
      }
    });
    s.on('error', reject);
    s.write(bytes);
  });
}

function unchunk(b: Buffer): string {
  let out = '';
  let text = b.toString('latin1');
  for (;;) {
    const eol = text.indexOf('\r\n');
    const size = parseInt(text.slice(0, eol), 16);
    if (!(size > 0)) return Buffer.from(out, 'latin1').toString('utf8');
    out += text.slice(eol + 2, eol + 2 + size);
    text = text.slice(eol + 2 + size + 2);
  }
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function upgradeBytes(path: string, extra: string[] = [], host = 'ws.test'): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: Upgrade', 'Upgrade: websocket', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13', ...extra, '', ''].join('\r\n');
}

function getBytes(path: string, extra: string[] = [], host = 'ws.test'): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close', ...extra, '', ''].join('\r\n');
}

/** the parts of a refusal a client sees, minus what differs by design (request id, date, connection) */
function refusal(a: RawAnswer): { status: number; body: string; contentType: string | undefined; wwwAuthenticate: string | undefined; retryAfter: string | undefined } {
  return {
    status: a.status,
    body: a.body,
    contentType: a.headers['content-type'],
    wwwAuthenticate: a.headers['www-authenticate'],
    retryAfter: a.headers['retry-after'],
  };
}

let j: TestJunction;
let stable: WsUpstream;
let canary: WsUpstream;
let port: number;

before(async () => {
  stable = await startWsUpstream('stable');
  canary = await startWsUpstream('canary');
  j = await startTestJunction();
  port = j.proxyAddress.port;
  await j.put('backends/stable', { servers: [{ id: 's1', url: stable.url }] });
  await j.put('backends/canary', { servers: [{ id: 'c1', url: canary.url }] });
  await j.put('filters/deny-loopback', { type: 'ip-filter', config: { deny: ['127.0.0.0/8'] } });
  await j.put('filters/login', { type: 'basic-auth', config: { users: { alice: hashPassword('wonderland') }, realm: 'shop' } });
  await j.put('filters/limit', { type: 'rate-limit', config: { rps: 0.001, burst: 1, key: 'header:x-user' } });
  await j.put('routes/ip', { match: { pathPrefix: '/ip/' }, backend: 'stable', filters: ['deny-loopback'] });
  await j.put('routes/auth', { match: { pathPrefix: '/auth/' }, backend: 'stable', filters: ['login'] });
  await j.put('routes/rate', { match: { pathPrefix: '/rate/' }, backend: 'stable', filters: ['limit'] });
  await j.put('routes/sticky', {
    match: { pathPrefix: '/sticky/' },
    split: [
      { backend: 'stable', weight: 50 },
      { backend: 'canary', weight: 50 },
    ],
    sticky: { cookie: 'junction_canary' },
  });
  await j.applied(await j.put('routes/open', { match: { host: 'open.test' }, backend: 'stable' }));
});

after(async () => {
  await j?.stop();
  await stable?.close();
  await canary?.close();
});

test('ip-filter refuses an upgrade exactly as it refuses a GET, and the upstream sees neither', async () => {
  const get = await raw(port, getBytes('/ip/x'));
  const up = await raw(port, upgradeBytes('/ip/x'));
  assert.equal(get.status, 403);
  assert.deepEqual(refusal(up), refusal(get));
  assert.equal(up.headers.connection, 'close', 'a refused upgrade closes the connection');
  assert.match(up.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(stable.upgrades.length + stable.plain.length, 0);
});

test('basic-auth refuses an upgrade without credentials as it refuses a GET; with them the upgrade is proxied as alice', async () => {
  const get = await raw(port, getBytes('/auth/x'));
  const up = await raw(port, upgradeBytes('/auth/x'));
  assert.equal(get.status, 401);
  assert.match(get.headers['www-authenticate'] ?? '', /Basic realm="shop"/);
  assert.deepEqual(refusal(up), refusal(get));
  const wrong = `Authorization: Basic ${Buffer.from('alice:rabbit').toString('base64')}`;
  assert.deepEqual(refusal(await raw(port, upgradeBytes('/auth/x', [wrong]))), refusal(await raw(port, getBytes('/auth/x', [wrong]))));
  assert.equal(stable.upgrades.length, 0);

  const good = `Authorization: Basic ${Buffer.from('alice:wonderland').toString('base64')}`;
  const ok = await raw(port, upgradeBytes('/auth/x', [good]));
  assert.equal(ok.status, 101);
  assert.equal(ok.headers.upgrade?.toLowerCase(), 'websocket');
  assert.match(ok.rest.subarray(2).toString('utf8'), /hello from stable/);
  const seen = stable.upgrades.at(-1);
  assert.equal(seen?.['x-junction-user'], 'alice');
  assert.equal(seen?.authorization, undefined, 'the credentials do not travel upstream');
});

test('rate-limit refuses an upgrade over the limit as it refuses a GET over the limit', async () => {
  const get1 = await raw(port, getBytes('/rate/x', ['x-user: g']));
  const get2 = await raw(port, getBytes('/rate/x', ['x-user: g']));
  assert.equal(get1.status, 200);
  assert.equal(get2.status, 429);
  const up1 = await raw(port, upgradeBytes('/rate/x', ['x-user: u']));
  const up2 = await raw(port, upgradeBytes('/rate/x', ['x-user: u']));
  assert.equal(up1.status, 101, 'the first upgrade is within the burst');
  assert.deepEqual(refusal(up2), refusal(get2));
  assert.ok(up2.headers['retry-after'] !== undefined);
  assert.equal(stable.upgrades.filter((h) => h['x-user'] === 'u').length, 1, 'only the admitted upgrade reached the upstream');
});

test('an upgrade gets the sticky cookie on its 101, and the cookie pins the next upgrade', async () => {
  const first = await raw(port, upgradeBytes('/sticky/x'));
  assert.equal(first.status, 101);
  const cookie = first.headers['set-cookie'] ?? '';
  const m = /^junction_canary=(stable|canary);/.exec(cookie);
  assert.ok(m, `101 carries the sticky cookie: ${cookie}`);
  const side = m[1] as string;
  assert.match(first.rest.subarray(2).toString('utf8'), new RegExp(`hello from ${side}`));
  for (const pinned of ['stable', 'canary']) {
    for (let i = 0; i < 3; i++) {
      const again = await raw(port, upgradeBytes('/sticky/x', [`Cookie: junction_canary=${pinned}`]));
      assert.equal(again.status, 101);
      assert.match(again.rest.subarray(2).toString('utf8'), new RegExp(`hello from ${pinned}`));
      assert.equal(again.headers['set-cookie'], undefined, 'a valid cookie is kept, not re-issued');
    }
  }
});

test('Host and request-target checks apply to upgrades as to any request', async () => {
  const noHost = ['GET /ip/x HTTP/1.1', 'Connection: Upgrade', 'Upgrade: websocket', `Sec-WebSocket-Key: ${KEY}`, 'Sec-WebSocket-Version: 13', '', ''].join('\r\n');
  const a = await raw(port, noHost);
  const b = await raw(port, ['GET /ip/x HTTP/1.1', 'Connection: close', '', ''].join('\r\n'));
  assert.equal(a.status, 400);
  assert.deepEqual(refusal(a), refusal(b));
  // an absolute-form target's authority replaces Host: this one routes by host to `open`
  const abs = await raw(port, upgradeBytes('http://open.test/chat', [], 'elsewhere.test'));
  assert.equal(abs.status, 101);
  assert.equal(stable.upgrades.at(-1)?.['x-forwarded-host'], 'open.test');
  const bad = await raw(port, upgradeBytes('/%2e%2e/%2e%2e/etc/passwd%00'));
  const badGet = await raw(port, getBytes('/%2e%2e/%2e%2e/etc/passwd%00'));
  assert.deepEqual(refusal(bad), refusal(badGet));
  const none = await raw(port, upgradeBytes('/nowhere'));
  assert.equal(none.status, 404);
  assert.equal(JSON.parse(none.body).error, 'no_route');
});

test('an upgrade to anything but websocket is answered as a plain request', async () => {
  const before = stable.plain.length;
  const h2c = await raw(port, ['GET /x HTTP/1.1', 'Host: open.test', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA', '', ''].join('\r\n'));
  assert.equal(h2c.status, 200);
  assert.equal(h2c.body, 'plain from stable');
  const seen = stable.plain.at(-1);
  assert.equal(stable.plain.length, before + 1);
  assert.equal(seen?.upgrade, undefined, 'the Upgrade header is hop-by-hop');
  assert.equal(seen?.['http2-settings'], undefined, 'so are the headers Connection names');
});

test('an upgrade the upstream refuses is relayed as a plain answer; one to a dead server is a 502 JSON error', async () => {
  // `stable` answers plain HTTP on paths its WebSocket server does not take: ws refuses with 400
  const refused = await raw(port, upgradeBytes('/x', ['Sec-WebSocket-Version: 99'], 'open.test'));
  assert.equal(refused.status, 400);
  assert.equal(refused.headers.connection, 'close');
  const dead = await startWsUpstream('dead');
  await dead.close();
  await j.put('backends/dead', { servers: [{ id: 'd1', url: dead.url }] });
  await j.applied(await j.put('routes/dead', { match: { host: 'dead.test' }, backend: 'dead' }));
  const gone = await raw(port, upgradeBytes('/x', [], 'dead.test'));
  assert.equal(gone.status, 502);
  assert.equal(JSON.parse(gone.body).error, 'upstream_error');
});

test('an Upgrade request that is not a WebSocket and carries a body is refused with 400', async () => {
  const bytes = ['POST /x HTTP/1.1', 'Host: open.test', 'Connection: Upgrade', 'Upgrade: h2c', 'Content-Length: 5', '', 'hello'].join('\r\n');
  const a = await raw(port, bytes);
  assert.equal(a.status, 400);
  assert.equal(JSON.parse(a.body).error, 'bad_request');
});
