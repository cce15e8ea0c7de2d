import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from '../support/etcd.js';
import { startUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';
import { spawnServe } from './cli-process.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function status(url: string): Promise<number> {
  const r = await request(url);
  await r.body.dump();
  return r.statusCode;
}

test('--demo serves the demo config; SIGTERM drains in-flight requests, turns readyz 503, then exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-demo-'));
  dirs.push(dir);
  const [port, admin] = [await freePort(), await freePort()];
  let uploadArrived = false;
  const up = await startUpstream('drain-up');
  up.server.on('request', (req) => {
    if (req.url === '/drain/upload') uploadArrived = true; // on the headers, before the body
  });
  const p = spawnServe(['--demo', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--data-dir', dir, '--access-log', 'off'], {
    JUNCTION_SHUTDOWN_TIMEOUT_MS: '8000',
  });
  try {
    await waitFor('readyz', async () => (await status(`http://127.0.0.1:${admin}/readyz`)) === 200, 15_000, 100);
    const r = await request(`http://127.0.0.1:${port}/hello`);
    assert.equal(r.statusCode, 200);
    assert.equal((await r.body.json() as { upstream: string }).upstream, 'demo-stable');
    const c = await request(`http://127.0.0.1:${port}/canary/x`);
    assert.equal((await c.body.json() as { upstream: string }).upstream, 'demo-canary');

    // A request that is slow to send its body is in flight when SIGTERM arrives: it goes to an
    // upstream of this test, which tells when Junction has forwarded it (a chunked body streams,
    // so the headers arrive while the client is still sending; a small Content-Length body would
    // be read whole first).
    const backend = await request(`http://127.0.0.1:${admin}/api/v1/backends/drain`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ servers: [{ id: 'u', url: up.url }] }),
    });
    assert.equal(backend.statusCode, 201, await backend.body.text());
    const routed = await request(`http://127.0.0.1:${admin}/api/v1/routes/drain`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { pathPrefix: '/drain/' }, priority: 100, backend: 'drain' }),
    });
    assert.equal(routed.statusCode, 201, await routed.body.text());
    await waitFor('the drain route to serve', async () => {
      const r = await request(`http://127.0.0.1:${port}/drain/probe`);
      await r.body.dump();
      return r.headers['x-upstream'] === 'drain-up';
    }, 10_000, 20);
    const { PassThrough } = await import('node:stream');
    const body = new PassThrough();
    const pending = request(`http://127.0.0.1:${port}/drain/upload`, { method: 'POST', body });
    body.write('12345');
    await waitFor('the upload to reach the upstream', () => uploadArrived, 10_000, 5);
    p.child.kill('SIGTERM');
    await waitFor('readyz 503 while draining', async () => (await status(`http://127.0.0.1:${admin}/readyz`)) === 503, 5000, 20);
    body.end('67890');
    const done = await pending;
    assert.equal(done.statusCode, 200, 'the in-flight request completes during the drain');
    await done.body.dump();
    assert.equal(up.seen.find((x) => x.url === '/drain/upload')?.body.toString(), '1234567890', 'with its whole body');
    assert.equal(await p.exited, 0, p.output());
    assert.match(p.output(), /junction stopped/);
  } finally {
    p.child.kill('SIGKILL');
    await up.close();
  }
});
