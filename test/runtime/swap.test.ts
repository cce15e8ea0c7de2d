import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startTestJunction, get, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

let j: TestJunction;
let up: TestUpstream;
let other: TestUpstream;
const sockets: number[] = [];
let release: (() => void) | undefined;

before(async () => {
  up = await startUpstream('up', (req, res) => {
    sockets.push(req.socket.remotePort ?? 0);
    if (req.url === '/slow') {
      release = () => res.end('slow done');
      return;
    }
    res.end(`up ${req.url}`);
  });
  other = await startUpstream('other');
  j = await startTestJunction();
  await j.put('backends/up', { servers: [{ id: 'u1', url: up.url }] });
  await j.put('backends/other', { servers: [{ id: 'o1', url: other.url }] });
  const rev = await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'up' });
  await j.applied(rev);
});

after(async () => {
  await j?.stop();
  await up?.close();
  await other?.close();
});

test('pooled upstream connections survive configuration swaps for servers still present', async () => {
  const client = new Agent({ connections: 1 });
  try {
    await (await request(`${j.url}/one`, { dispatcher: client })).body.text();
    const first = sockets.at(-1);
    for (let i = 0; i < 5; i++) {
      // unrelated changes and a change of this very route: the server stays, so must its pool
      const rev = await j.put(`routes/extra-${i}`, { match: { path: `/extra/${i}` }, backend: 'other' });
      await j.applied(rev);
      await j.applied(await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'up', priority: i }));
      await (await request(`${j.url}/again-${i}`, { dispatcher: client })).body.text();
    }
    assert.ok(sockets.length >= 6);
    assert.deepEqual(new Set(sockets.slice(-6)), new Set([first]), 'every request went over the same upstream connection');
  } finally {
    await client.close();
  }
});

test('a request in flight finishes on the snapshot it started with', async () => {
  const pending = get(`${j.url}/slow`);
  await waitFor('the slow request to reach the upstream', () => release !== undefined);
  // Route the path elsewhere and delete the old backend while the request is in flight.
  await j.applied(await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'other' }));
  await j.applied(await j.del('backends/up'));
  assert.equal((await get(`${j.url}/now`)).json().upstream, 'other', 'new requests take the new route');
  release?.();
  const r = await pending;
  assert.equal(r.status, 200);
  assert.equal(r.text, 'slow done');
});

test('a draining server takes no new requests; active again, it does', async () => {
  await j.put('backends/pair', { servers: [{ id: 'p1', url: up.url }] });
  await j.put('servers/pair/p2', { url: other.url });
  await j.applied(await j.put('routes/r', { match: { pathPrefix: '/' }, backend: 'pair' }));
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add((await get(`${j.url}/rr`)).text.startsWith('up') ? 'p1' : 'p2');
  assert.deepEqual([...seen].sort(), ['p1', 'p2']);

  await j.applied(await j.put('servers/pair/p2', { url: other.url, state: 'draining' }));
  for (let i = 0; i < 6; i++) assert.match((await get(`${j.url}/d`)).text, /^up /);

  await j.applied(await j.put('servers/pair/p2', { url: other.url, state: 'active' }));
  const after = new Set<string>();
  for (let i = 0; i < 6; i++) after.add((await get(`${j.url}/rr`)).text.startsWith('up') ? 'p1' : 'p2');
  assert.deepEqual([...after].sort(), ['p1', 'p2']);
});
