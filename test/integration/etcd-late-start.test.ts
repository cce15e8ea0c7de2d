import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { request } from 'undici';
import { startEtcd, type EtcdProcess } from '../support/etcd.js';
import { startJunction, type Junction } from '../../src/junction.js';
import { pino } from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { waitFor } from '../support/wait.js';

let etcd: EtcdProcess | undefined;
let j: Junction | undefined;
let up: TestUpstream | undefined;
let dataDir: string | undefined;

after(async () => {
  await j?.close();
  await etcd?.cleanup();
  await up?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

test('etcd down at start: not ready (503 not_ready) until etcd answers, then serves its configuration', async () => {
  etcd = await startEtcd({ name: 'late' });
  up = await startUpstream('late');
  const client = new Etcd3({ hosts: etcd.endpoint });
  await client.put('/junction/backends/b').value(JSON.stringify({ servers: [{ id: 's', url: up.url }] }));
  await client.put('/junction/routes/r').value(JSON.stringify({ backend: 'b' }));
  client.close();
  await etcd.stop();
  dataDir = mkdtempSync(join(tmpdir(), 'junction-late-'));

  j = await startJunction({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    etcd: [etcd.endpoint],
    prefix: '/junction',
    dataDir,
    instanceId: 'late',
    logger: pino({ level: 'silent' }),
  });
  const proxy = `http://127.0.0.1:${j.proxyAddress?.port}`;
  const admin = `http://127.0.0.1:${j.adminAddress.port}`;
  const early = await request(`${proxy}/x`);
  assert.equal(early.statusCode, 503);
  assert.equal(((await early.body.json()) as { error: string }).error, 'not_ready');
  const ready = await request(`${admin}/readyz`);
  assert.equal(ready.statusCode, 503);
  await ready.body.dump();

  await etcd.start();
  await waitFor('readyz 200', async () => {
    const r = await request(`${admin}/readyz`);
    await r.body.dump();
    return r.statusCode === 200;
  }, 20_000, 100);
  const r = await request(`${proxy}/x`);
  assert.equal(r.statusCode, 200);
  assert.equal(((await r.body.json()) as { upstream: string }).upstream, 'late');
});
