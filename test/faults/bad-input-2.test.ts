// Bad input, round two: each case sends the exact bytes of a probe and checks what the client and
// the upstream received. (docs/failure-modes.md has the same cases beside nginx and HAProxy.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { healthz, metric, rawExchange, responsesOf } from './helpers.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * A raw upstream for answers node:http would not write: an unsolicited `100 Continue` then 200
 * (any path), a 204/304 with Content-Length, a 103 before the 200, a WebSocket 101 that then
 * stays silent, and an upgrade it never answers.
 */
function startRawUpstream(): Promise<{ url: string; requests: () => number; sockets: Set<Socket>; close: () => Promise<void> }> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('data', (d: Buffer) => {
      if (!d.includes('\r\n\r\n')) return;
      n++;
      const path = d.toString('latin1').split(' ')[1] ?? '/';
      if (path.endsWith('/204')) c.write('HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n');
      else if (path.endsWith('/304')) c.write('HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\netag: "v1"\r\n\r\n');
      else if (path.endsWith('/103')) c.write('HTTP/1.1 103 Early Hints\r\nlink: </app.css>; rel=preload; as=style\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      else if (path.endsWith('/ws')) c.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n');
      else if (path.endsWith('/ws-hang')) return;
      else c.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
    c.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => n,
        sockets,
        close: () => {
          for (const c of sockets) c.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

const { hashPassword } = (await import(new URL('../../../filters/basic-auth.js', import.meta.url).href)) as {
  hashPassword: (password: string) => string;
};

let cont: Awaited<ReturnType<typeof startRawUpstream>>;
let j: TestJunction;
let up: TestUpstream;
let port: number;
const seen: Seen[] = [];

before(async () => {
  up = await startUpstream('up', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ url: req.url, host: req.headers.host }));
  });
  up.server.on('request', (req) => seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers }));
  cont = await startRawUpstream();
  j = await startTestJunction();
  port = j.proxyAddress.port;
  await j.put('backends/up', { servers: [{ id: 'u1', url: up.url }] });
  await j.put('backends/cont', { servers: [{ id: 'c1', url: cont.url }] });
  await j.put('routes/redos', { match: { pathRegex: '/(a+)+' }, backend: 'up' });
  await j.put('routes/continue', { match: { pathPrefix: '/continue/' }, backend: 'cont' });
  await j.put('backends/odd', { servers: [{ id: 'o1', url: cont.url }], timeouts: { headersMs: 600, idleMs: 700 } });
  await j.put('routes/odd', { match: { pathPrefix: '/odd/' }, backend: 'odd' });
  await j.put('backends/small', { servers: [{ id: 's1', url: up.url }], maxConnectionsPerServer: 2, timeouts: { connectMs: 300, bodyMs: 800 } });
  await j.put('routes/small', { match: { pathPrefix: '/small/' }, backend: 'small' });
  await j.put('filters/deny-local', { type: 'ip-filter', config: { deny: ['127.0.0.0/8'] } });
  await j.put('routes/admin', { match: { pathPrefix: '/admin/' }, backend: 'up', filters: ['deny-local'] });
  await j.put('filters/login', { type: 'basic-auth', config: { users: { alice: hashPassword('wonderland') } } });
  await j.put('routes/auth', { match: { pathPrefix: '/auth/' }, backend: 'up', filters: ['login'] });
  await j.put('routes/public', { match: { host: 'public.example' }, backend: 'up' });
  await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, priority: -1, backend: 'up' }));
});

after(async () => {
  await j?.stop();
  await up?.close();
  await cont?.close();
});

test('1. a backtracking pathRegex cannot freeze the process: /(a+)+ against 40 a and a !', async () => {
  const before = seen.length;
  const bytes = `GET /${'a'.repeat(40)}! HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const [answer, health] = await Promise.all([rawExchange(port, bytes, 5000), healthz(j.adminUrl)]);
  const [r] = responsesOf(answer);
  // the regex route does not match (RE2 says so at once); the catch-all takes it
  assert.equal(r?.status, 200);
  assert.equal(health, 200);
  assert.equal(seen.length, before + 1);
  const m = responsesOf(await rawExchange(port, `GET /${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 5000));
  assert.equal(m[0]?.status, 200, 'and it still matches what it should');
  assert.equal(await metric(j.adminUrl, 'junction_http_requests_total', { route: 'redos', code: '200' }), 1);
  assert.equal(await metric(j.adminUrl, 'junction_http_requests_total', { route: 'all', code: '200' }), 1);
  assert.equal(j.snapshot()?.routes.get('redos')?.spec.match?.pathRegex, '/(a+)+');
});

test('2. two Host headers are a 400 before anything is sent, and six of them do not eject the server', async () => {
  const before = seen.length;
  for (let i = 0; i < 6; i++) {
    const [r] = responsesOf(await rawExchange(port, 'GET /x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n'));
    assert.equal(r?.status, 400);
    assert.equal(JSON.parse(r?.body ?? '{}').error, 'bad_request');
  }
  assert.equal(seen.length, before, 'nothing reached the upstream');
  const [ok] = responsesOf(await rawExchange(port, 'GET /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n'));
  assert.equal(ok?.status, 200, 'the server still takes traffic');
  assert.equal(await metric(j.adminUrl, 'junction_server_healthy', { backend: 'up', server: 'u1' }), 1);
});

test('2. an upstream that sends an unsolicited 100 Continue gets 502 answers but is never ejected', async () => {
  for (let i = 0; i < 7; i++) {
    const [r] = responsesOf(await rawExchange(port, 'GET /continue/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(r?.status, 502, 'undici takes no 100 it did not ask for');
  }
  assert.equal(cont.requests(), 7, 'every request reached the server: none was refused as no_server');
  assert.equal(await metric(j.adminUrl, 'junction_server_healthy', { backend: 'cont', server: 'c1' }), 1);
  assert.equal(await metric(j.adminUrl, 'junction_upstream_errors_total', { backend: 'cont', kind: 'protocol' }), 7);
});

/** Writes `bytes` and returns what came back within `ms` (the connection may stay open). */
function collect(bytes: string, ms: number): Promise<{ text: string; closedAfterMs: number | undefined }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    let closedAfterMs: number | undefined;
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    s.setEncoding('latin1');
    s.on('data', (d: string) => (text += d));
    s.on('error', () => undefined);
    s.on('close', () => (closedAfterMs = Date.now() - started));
    setTimeout(() => {
      s.destroy();
      resolve({ text, closedAfterMs });
    }, ms);
  });
}

test('5. a stalled upload is cut with 408 after timeouts.bodyMs and holds no upstream connection meanwhile', async () => {
  const before = seen.length;
  const stalled = await Promise.all(
    [1, 2, 3].map(() => collect('POST /small/up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx', 2000)),
  );
  for (const s of stalled) {
    assert.match(s.text, /^HTTP\/1\.1 408 /, s.text);
    assert.match(s.text, /"error":"request_timeout"/);
    assert.ok(s.closedAfterMs !== undefined && s.closedAfterMs < 2000, 'the connection is closed after the 408');
  }
  assert.equal(seen.filter((x) => x.url === '/small/up').length, 0, 'a small body is read whole first: the upstream never saw the stalled ones');
  assert.ok(seen.length >= before);
});

test('5. uploads that hold every pooled connection: a GET is answered 503 upstream_busy within timeouts.connectMs, not queued for ever', async () => {
  // chunked bodies stream, so these two take both connections of `small` and trickle
  const trickles = [1, 2].map(() => collect('POST /small/stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n', 1500));
  await new Promise((r) => setTimeout(r, 150));
  const started = Date.now();
  const [r] = responsesOf(await rawExchange(port, 'GET /small/get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 3000));
  const ms = Date.now() - started;
  assert.equal(r?.status, 503);
  assert.equal(JSON.parse(r?.body ?? '{}').error, 'upstream_busy');
  assert.ok(ms < 1500, `answered after ${ms} ms: the queue bound (300 ms), not the uploads' stall (800 ms)`);
  for (const t of await Promise.all(trickles)) assert.match(t.text, /^HTTP\/1\.1 408 /);
  const [after] = responsesOf(await rawExchange(port, 'GET /small/get HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  assert.equal(after?.status, 200, 'once the uploads are cut, the backend serves again');
});

test('6. an absolute-form target: its authority is the Host the upstream sees (and X-Forwarded-Host)', async () => {
  const [r] = responsesOf(await rawExchange(port, 'GET http://public.example/x HTTP/1.1\r\nHost: internal.example\r\nConnection: close\r\n\r\n'));
  assert.equal(r?.status, 200);
  const last = seen.at(-1);
  assert.equal(last?.url, '/x');
  assert.equal(last?.headers.host, 'public.example');
  assert.equal(last?.headers['x-forwarded-host'], 'public.example');
});

test('7. an upgrade the upstream never answers gets 504 after headersMs; an idle tunnel is closed after idleMs', async () => {
  const upgrade = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const hang = await collect(upgrade('/odd/ws-hang'), 2500);
  assert.match(hang.text, /^HTTP\/1\.1 504 /, hang.text);
  assert.match(hang.text, /"error":"upstream_timeout"/);
  const idle = await collect(upgrade('/odd/ws'), 2500);
  assert.match(idle.text, /^HTTP\/1\.1 101 /);
  assert.ok(idle.closedAfterMs !== undefined, 'the idle tunnel was closed');
});

test('8. a 204 or 304 with Content-Length is relayed whole; 103 Early Hints reach the client', async () => {
  for (const [path, status] of [['/odd/204', 204], ['/odd/304', 304]] as const) {
    const text = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.equal(responsesOf(text)[0]?.status, status, text);
  }
  const hints = await rawExchange(port, 'GET /odd/103 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(hints, /^HTTP\/1\.1 103 Early Hints\r\n[Ll]ink: <\/app\.css>; rel=preload; as=style\r\n/);
  assert.match(hints, /\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  // an HTTP/1.0 client gets no 1xx (RFC 9110 §15.2)
  const old = await rawExchange(port, 'GET /odd/103 HTTP/1.0\r\nHost: x\r\n\r\n');
  assert.match(old, /^HTTP\/1\.1 200 /);
});

test("9. a client's Connection header removes only its own headers: not what filters add, never Host", async () => {
  const creds = Buffer.from('alice:wonderland').toString('base64');
  const [a] = responsesOf(
    await rawExchange(port, `GET /auth/x HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${creds}\r\nConnection: close, x-junction-user\r\n\r\n`),
  );
  assert.equal(a?.status, 200);
  assert.equal(seen.at(-1)?.headers['x-junction-user'], 'alice');
  const [b] = responsesOf(await rawExchange(port, 'GET /plain HTTP/1.1\r\nHost: front.example\r\nX-Secret: s\r\nConnection: close, host, x-secret\r\n\r\n'));
  assert.equal(b?.status, 200);
  assert.equal(seen.at(-1)?.headers.host, 'front.example');
  assert.equal(seen.at(-1)?.headers['x-secret'], undefined, 'a header the client named is removed');
});

test('10. h2c and other upgrades are served plainly; CONNECT is a JSON 405; HTTP/2.0 in a request line is a 505', async () => {
  for (const upgrade of ['h2c', 'foo']) {
    const [r] = responsesOf(await rawExchange(port, `GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`));
    assert.equal(r?.status, 200, upgrade);
    assert.equal(seen.at(-1)?.headers.upgrade, undefined);
  }
  const [c] = responsesOf(await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
  assert.equal(c?.status, 405);
  assert.equal(JSON.parse(c?.body ?? '{}').error, 'method_not_allowed');
  const [v] = responsesOf(await rawExchange(port, 'GET /plain HTTP/2.0\r\nHost: x\r\n\r\n'));
  assert.equal(v?.status, 505);
  assert.equal(JSON.parse(v?.body ?? '{}').error, 'version_not_supported');
});

test('11. //admin is /admin (the filter applies); an escaped slash is refused; too many headers is 431', async () => {
  const before = seen.length;
  const [m] = responsesOf(await rawExchange(port, 'GET //admin/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  assert.equal(m?.status, 403, 'the /admin/ route and its ip-filter see //admin/x');
  const [e] = responsesOf(await rawExchange(port, 'GET /admin%2Fx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
  assert.equal(e?.status, 400);
  const many = Array.from({ length: 300 }, (_, i) => `X-H${i}: v\r\n`).join('');
  const [h] = responsesOf(await rawExchange(port, `GET /plain HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n`));
  assert.equal(h?.status, 431);
  assert.equal(seen.length, before, 'none of them reached the upstream');
});

test('11. X-Real-IP and Forwarded from an untrusted client are dropped; a malformed Host is a 400', async () => {
  const [r] = responsesOf(
    await rawExchange(port, 'GET /plain HTTP/1.1\r\nHost: x\r\nX-Real-IP: 203.0.113.66\r\nForwarded: for=203.0.113.66\r\nConnection: close\r\n\r\n'),
  );
  assert.equal(r?.status, 200);
  assert.equal(seen.at(-1)?.headers['x-real-ip'], undefined);
  assert.equal(seen.at(-1)?.headers.forwarded, undefined);
  const before = seen.length;
  for (const host of ['a b', '[::1', 'x:99999', 'a/b', 'user@x']) {
    const [b] = responsesOf(await rawExchange(port, `GET /plain HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    assert.equal(b?.status, 400, host);
  }
  assert.equal(seen.length, before);
  for (const host of ['x', 'x:8080', '127.0.0.1:80', '[::1]:8080', 'xn--bcher-kva.example', '']) {
    const [ok] = responsesOf(await rawExchange(port, `GET /plain HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    assert.equal(ok?.status, 200, `Host: ${host}`);
  }
});

test('11. garbage after a valid request: the valid request is answered first, then 400 and close', async () => {
  const text = await rawExchange(port, 'GET /plain HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n', 2000);
  assert.deepEqual(
    responsesOf(text).map((x) => x.status),
    [200, 400],
  );
});
