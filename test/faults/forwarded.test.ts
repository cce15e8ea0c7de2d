import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { healthz } from './helpers.js';

// X-Forwarded-* and the client address: by default the socket peer is the client and nothing a
// client sends in X-Forwarded-* survives; with --trusted-proxies (proxy-addr), the hops a trusted
// peer reports are kept, Junction appends the peer, and the client address used by `ip` hash keys
// and ip-filter is the first untrusted hop counting from the socket.

type JunctionOpts = NonNullable<Parameters<typeof startTestJunction>[0]>;

let a: TestUpstream;
let b: TestUpstream;

function echo(name: string) {
  return startUpstream(name, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(JSON.stringify({ upstream: name, headers: req.headers }));
  });
}

/** The same configuration on every Junction of this file. */
async function configure(j: TestJunction): Promise<void> {
  await j.put('backends/echo', { servers: [{ id: 'a', url: a.url }] });
  await j.put('backends/hashed', { balancer: 'hash', hashKey: 'ip', servers: [{ id: 'a', url: a.url }, { id: 'b', url: b.url }] });
  await j.put('filters/only-doc-net', { type: 'ip-filter', config: { allow: ['203.0.113.0/24'] } });
  await j.put('filters/deny-doc-net', { type: 'ip-filter', config: { deny: ['203.0.113.0/24'] } });
  await j.put('routes/allow', { match: { pathPrefix: '/allow/' }, backend: 'echo', filters: ['only-doc-net'] });
  await j.put('routes/deny', { match: { pathPrefix: '/deny/' }, backend: 'echo', filters: ['deny-doc-net'] });
  await j.put('routes/hashed', { match: { pathPrefix: '/hashed/' }, backend: 'hashed' });
  await j.applied(await j.put('routes/echo', { match: { pathPrefix: '/' }, backend: 'echo' }));
}

async function seen(j: TestJunction, path: string, headers: Record<string, string>): Promise<Record<string, string>> {
  const r = await get(`${j.url}${path}`, { headers });
  assert.equal(r.status, 200, r.text);
  return r.json().headers as Record<string, string>;
}

/** Which upstream answers /hashed/ for each of `ips` sent as X-Forwarded-For. */
async function hashedSpread(j: TestJunction, ips: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const ip of ips) {
    const r = await get(`${j.url}/hashed/x`, { headers: { 'x-forwarded-for': ip } });
    assert.equal(r.status, 200);
    out.set(ip, String(r.headers['x-upstream']));
  }
  return out;
}

const IPS = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);

before(async () => {
  a = await echo('a');
  b = await echo('b');
});

after(async () => {
  await a?.close();
  await b?.close();
});

describe('without trusted proxies (the default)', () => {
  let j: TestJunction;
  before(async () => {
    j = await startTestJunction();
    await configure(j);
  });
  after(async () => j?.stop());

  test('a client cannot spoof X-Forwarded-For, -Proto or -Host: the upstream sees the socket peer', async () => {
    const h = await seen(j, '/x', {
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
      host: 'shop.example',
    });
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'shop.example');
  });

  test('repeated and oddly cased X-Forwarded-For headers are all dropped', async () => {
    const r = await get(`${j.url}/x`, { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-FORWARDED-PROTO': 'https' } });
    const h = r.json().headers as Record<string, string>;
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
  });

  test('ip-filter and `ip` hash keys use the socket peer, whatever X-Forwarded-For says', async () => {
    assert.equal((await get(`${j.url}/allow/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 403, 'a spoofed allowed address is not believed');
    assert.equal((await get(`${j.url}/deny/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 200, 'a spoofed denied address is not believed');
    const spread = await hashedSpread(j, IPS);
    assert.equal(new Set(spread.values()).size, 1, 'every spoofed address hashes as 127.0.0.1: one server');
  });
});

describe('with --trusted-proxies 127.0.0.1/32', () => {
  let j: TestJunction;
  before(async () => {
    j = await startTestJunction({ trustedProxies: ['127.0.0.1/32'] } as JunctionOpts);
    await configure(j);
  });
  after(async () => j?.stop());

  test('the hops a trusted peer reports are kept and the peer is appended', async () => {
    assert.equal((await seen(j, '/x', { 'x-forwarded-for': '203.0.113.9' }))['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
    assert.equal(
      (await seen(j, '/x', { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' }))['x-forwarded-for'],
      '198.51.100.7, 203.0.113.9, 127.0.0.1',
    );
    assert.equal((await seen(j, '/x', {}))['x-forwarded-for'], '127.0.0.1', 'no header: just the peer');
  });

  test('X-Forwarded-Proto and -Host from a trusted peer are kept', async () => {
    const h = await seen(j, '/x', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example', host: 'internal:8080' });
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'public.example');
    const plain = await seen(j, '/x', { host: 'internal:8080' });
    assert.equal(plain['x-forwarded-proto'], 'http', 'set by Junction when the peer sent none');
    assert.equal(plain['x-forwarded-host'], 'internal:8080');
  });

  test('the client address is the first untrusted hop: ip-filter', async () => {
    assert.equal((await get(`${j.url}/allow/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 200);
    assert.equal((await get(`${j.url}/deny/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 403);
    // 203.0.113.9 is the first untrusted hop from the socket: what it claims further left is not believed
    assert.equal((await get(`${j.url}/deny/x`, { headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' } })).status, 403);
    assert.equal((await get(`${j.url}/allow/x`, { headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } })).status, 403);
    // a trusted loopback hop is skipped
    assert.equal((await get(`${j.url}/allow/x`, { headers: { 'x-forwarded-for': '203.0.113.9, 127.0.0.1' } })).status, 200);
  });

  test('the client address is the first untrusted hop: `ip` hash keys', async () => {
    const spread = await hashedSpread(j, IPS);
    assert.equal(new Set(spread.values()).size, 2, `${IPS.length} client addresses reach both servers`);
    const again = await hashedSpread(j, IPS);
    assert.deepEqual([...again], [...spread], 'the same client address always reaches the same server');
    const prefixed = await hashedSpread(j, IPS.map((ip) => `192.0.2.1, ${ip}`));
    assert.deepEqual(
      IPS.map((ip) => prefixed.get(`192.0.2.1, ${ip}`)),
      IPS.map((ip) => spread.get(ip)),
      'hops left of the first untrusted one do not change the key',
    );
  });

  test('garbage in X-Forwarded-For from a trusted peer never crashes and never breaks a filter', async () => {
    for (const xff of ['not-an-ip', '203.0.113.9, not-an-ip', ', , ,', '999.1.1.1', '[::1]:80', 'unknown', `${'1.'.repeat(3000)}1`]) {
      for (const path of ['/x', '/deny/x', '/allow/x', '/hashed/x']) {
        const r = await get(`${j.url}${path}`, { headers: { 'x-forwarded-for': xff } });
        assert.ok([200, 400, 403].includes(r.status), `${path} with X-Forwarded-For ${xff.slice(0, 40)}: ${r.status} ${r.text.slice(0, 200)}`);
      }
    }
    assert.equal(await healthz(j.adminUrl), 200);
  });
});

describe('with trusted proxies that do not include the peer', () => {
  let j: TestJunction;
  before(async () => {
    j = await startTestJunction({ trustedProxies: ['10.0.0.0/8', '192.168.0.0/16'] } as JunctionOpts);
    await configure(j);
  });
  after(async () => j?.stop());

  test('an untrusted peer still cannot spoof anything', async () => {
    const h = await seen(j, '/x', { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', host: 'shop.example' });
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-host'], 'shop.example');
    assert.equal((await get(`${j.url}/allow/x`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 403);
  });
});
