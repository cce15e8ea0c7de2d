import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Components } from '../../src/components.js';
import { startJunction } from '../../src/junction.js';
import { ListenError } from '../../src/http/server-lifecycle.js';

const silent = pino({ level: 'silent' });

test('components stop in reverse order of starting, once, and a failing stop does not keep the others running', async () => {
  const c = new Components(silent);
  const order: string[] = [];
  c.started('store', 'store', (v) => void order.push(v));
  c.started('admin', 'admin', async (v) => {
    order.push(v);
    throw new Error('boom');
  });
  c.started('proxy', 'proxy', async (v) => {
    await new Promise((r) => setTimeout(r, 5));
    order.push(v);
  });
  await Promise.all([c.stopAll(), c.stopAll()]);
  assert.deepEqual(order, ['proxy', 'admin', 'store']);
  await c.stopAll();
  assert.equal(order.length, 3, 'stopped once');
});

test('a start that fails halfway stops what it started: the data dir and the admin port are free again', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as { port: number }).port;
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-components-'));
  const base = { admin: { host: '127.0.0.1', port: 0 }, prefix: '/junction', dataDir, instanceId: 'c', logger: silent };
  try {
    await assert.rejects(startJunction({ ...base, listen: { host: '127.0.0.1', port } }), (err: unknown) => err instanceof ListenError);
    // the embedded store's lock was released and nothing is left listening: a second start works
    const j = await startJunction({ ...base, listen: { host: '127.0.0.1', port: 0 } });
    await j.firstApplied;
    await j.close();
  } finally {
    await new Promise<void>((r) => taken.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
