/** The embedded store's own guarantees: durability, crash safety, corruption, locking, ephemeral keys. */
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EmbeddedStore } from '../../src/config/store/embedded-store.js';
import type { StoreUpdate } from '../../src/config/store/types.js';

const P = '/junction';
const dirs: string[] = [];
const stores: EmbeddedStore[] = [];

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'junction-embedded-'));
  dirs.push(d);
  return d;
}

async function open(dataDir: string, extra: { historyLimit?: number } = {}): Promise<EmbeddedStore> {
  const s = await EmbeddedStore.open({ dataDir, prefix: P, ...extra });
  stores.push(s);
  return s;
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function rejectsWithCode(p: Promise<unknown>, code: string, also?: (err: Error) => void): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    also?.(err as Error);
    return true;
  });
}

interface FileDoc {
  revision: number;
  kvs: { key: string; value: string; modRevision: number }[];
}
const readDoc = async (dir: string): Promise<FileDoc> => JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as FileDoc;

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid;
  await new Promise((r) => child.once('exit', r));
  assert.ok(pid !== undefined);
  return pid;
}

async function until(what: string, pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('embedded store', () => {
  test('survives a restart: same keys, same revision, and revisions keep growing', async () => {
    const dir = await tempDir();
    const s1 = await open(dir);
    assert.equal((await s1.load()).revision, 1, 'a new store starts at revision 1 like etcd');
    await s1.put(`${P}/routes/a`, 'a1');
    await s1.txn([
      { op: 'put', key: `${P}/routes/b`, value: 'b' },
      { op: 'put', key: `${P}/backends/x`, value: 'x' },
    ]);
    await s1.put(`${P}/routes/a`, 'a2');
    await s1.delete(`${P}/backends/x`);
    const before = await s1.load();
    assert.equal(before.revision, 5);
    await s1.close();

    const s2 = await open(dir);
    assert.deepEqual(await s2.load(), before);
    const a = await s2.get(`${P}/routes/a`);
    assert.deepEqual(a, { key: `${P}/routes/a`, value: 'a2', createRevision: 2, modRevision: 4, version: 2 });
    assert.equal(await s2.put(`${P}/routes/a`, 'a3'), 6);
    assert.deepEqual(await s2.get(`${P}/routes/a`), { ...a, value: 'a3', modRevision: 6, version: 3 });
    assert.equal(await s2.delete(`${P}/routes/missing`), 6);
  });

  test('a write is on disk when it resolves, and watchers see it only after that', async () => {
    const dir = await tempDir();
    const s = await open(dir);
    const onDiskWhenDelivered: boolean[] = [];
    const w = s.watch(2, (u: StoreUpdate) => {
      if (u.kind !== 'changes') return;
      const doc = JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as FileDoc;
      onDiskWhenDelivered.push(doc.revision >= u.revision);
    });
    const rev = await s.put(`${P}/routes/a`, 'v');
    const doc = await readDoc(dir);
    assert.equal(doc.revision, rev);
    assert.deepEqual(doc.kvs.map((kv) => [kv.key, kv.value, kv.modRevision]), [[`${P}/routes/a`, 'v', rev]]);
    await s.put(`${P}/routes/b`, 'w');
    await until('two deliveries', () => onDiskWhenDelivered.length === 2);
    assert.deepEqual(onDiskWhenDelivered, [true, true]);
    await w.close();
  });

  test('concurrent writes are serialized: consecutive revisions in call order, all durable', async () => {
    const dir = await tempDir();
    const s = await open(dir);
    const revs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.put(`${P}/routes/r${i}`, String(i))));
    assert.deepEqual(revs, Array.from({ length: 20 }, (_, i) => 2 + i));
    const doc = await readDoc(dir);
    assert.equal(doc.revision, 21);
    assert.equal(doc.kvs.length, 20);
  });

  test('a leftover temp file from a crash mid-write is discarded and corrupts nothing', async () => {
    const dir = await tempDir();
    const s1 = await open(dir);
    await s1.put(`${P}/routes/a`, 'a');
    await s1.put(`${P}/routes/b`, 'b');
    const before = await s1.load();
    await s1.close();
    // a newer state cut off half-way, as a crash before the rename leaves it
    const full = await readFile(join(dir, 'store.json'), 'utf8');
    await writeFile(join(dir, 'store.json.tmp'), full.replace('"revision": 3', '"revision": 4').slice(0, Math.floor(full.length / 2)));

    const s2 = await open(dir);
    assert.deepEqual(await s2.load(), before);
    assert.ok(!(await readdir(dir)).includes('store.json.tmp'), 'the temp file is removed');
    assert.equal(await s2.put(`${P}/routes/c`, 'c'), 4);
  });

  test('a process killed while writing leaves a readable store holding every acknowledged write', async () => {
    const dir = await tempDir();
    const storeModule = fileURLToPath(new URL('../../src/config/store/embedded-store.js', import.meta.url));
    const code = `
      const { EmbeddedStore } = await import(${JSON.stringify(storeModule)});
      const s = await EmbeddedStore.open({ dataDir: ${JSON.stringify(dir)}, prefix: '/junction' });
      for (let i = 0; ; i++) {
        const big = 'x'.repeat(2000 + (i % 7) * 500);
        const r = await s.txn([
          { op: 'put', key: '/junction/routes/counter', value: String(i) },
          { op: 'put', key: '/junction/routes/big-' + (i % 40), value: big },
        ]);
        process.stdout.write(r.revision + ' ' + i + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = { revision: 0, i: -1 };
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const [r, i] = line.split(' ').map(Number);
        acked = { revision: r!, i: i! };
        if (acked.i >= 60) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', (c) => (acked.i >= 60 ? resolve() : reject(new Error(`writer exited early (${c})`))));
    });
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));

    // its lock is stale now (dead pid) and is taken over
    const s = await open(dir);
    const snap = await s.load();
    assert.ok(snap.revision >= acked.revision, `revision ${snap.revision} >= last acknowledged ${acked.revision}`);
    const counter = Number((await s.get(`${P}/routes/counter`))?.value);
    assert.ok(counter >= acked.i, `counter ${counter} >= last acknowledged ${acked.i}`);
    assert.equal(await s.put(`${P}/routes/after`, 'ok'), snap.revision + 1);
  });

  test('a corrupt store file is a clear store_corrupt error and is never emptied', async () => {
    const variants: [string, string][] = [
      ['truncated JSON', '{"format":"junction-embedded-store","formatVersion":1,"revision":3,"kvs":[{"key":"/junction/a"'],
      ['empty file', ''],
      ['foreign document', '{"hello":"world"}'],
      ['revisions out of order', JSON.stringify({ format: 'junction-embedded-store', formatVersion: 1, revision: 2, kvs: [{ key: '/junction/a', value: 'v', createRevision: 1, modRevision: 5, version: 1 }] })],
      ['duplicate keys', JSON.stringify({ format: 'junction-embedded-store', formatVersion: 1, revision: 3, kvs: [
        { key: '/junction/a', value: 'v', createRevision: 2, modRevision: 2, version: 1 },
        { key: '/junction/a', value: 'w', createRevision: 3, modRevision: 3, version: 1 },
      ] })],
    ];
    for (const [what, content] of variants) {
      const dir = await tempDir();
      await writeFile(join(dir, 'store.json'), content);
      await rejectsWithCode(EmbeddedStore.open({ dataDir: dir, prefix: P }), 'store_corrupt', (err) => {
        assert.ok(err.message.includes(join(dir, 'store.json')), `${what}: the message names the file`);
      });
      assert.equal(await readFile(join(dir, 'store.json'), 'utf8'), content, `${what}: the file is untouched`);
      assert.ok(!(await readdir(dir)).includes('store.lock'), `${what}: the lock is released`);
    }
  });

  test('a second open of the same data dir fails with store_locked while the first is open', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    await first.put(`${P}/routes/a`, '1');
    await rejectsWithCode(EmbeddedStore.open({ dataDir: dir, prefix: P }), 'store_locked', (err) => {
      assert.ok(err.message.includes(String(process.pid)), 'the message names the holder');
    });
    const lock = JSON.parse(await readFile(join(dir, 'store.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, process.pid);
    await first.close();
    const second = await open(dir);
    assert.equal((await second.get(`${P}/routes/a`))?.value, '1');
  });

  test('a stale lock (dead pid, or half-written) is taken over; a lock from another host is not', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'store.lock'), JSON.stringify({ pid: await deadPid(), host: hostname() }));
    const s = await open(dir);
    const lock = JSON.parse(await readFile(join(dir, 'store.lock'), 'utf8')) as { pid: number };
    assert.equal(lock.pid, process.pid);
    await s.close();

    const dir2 = await tempDir();
    await writeFile(join(dir2, 'store.lock'), '{"pi');
    await (await open(dir2)).close();

    const dir3 = await tempDir();
    await writeFile(join(dir3, 'store.lock'), JSON.stringify({ pid: await deadPid(), host: `not-${hostname()}` }));
    await rejectsWithCode(EmbeddedStore.open({ dataDir: dir3, prefix: P }), 'store_locked');
  });

  test('ephemeral keys are never written to disk and never survive a restart', async () => {
    const dir = await tempDir();
    const s1 = await open(dir);
    await s1.put(`${P}/routes/a`, 'a');
    const eph = s1.ephemeral(`${P}/status/me`, 10);
    await eph.set('{"alive":true}');
    const held = await s1.load();
    assert.ok(held.kvs.some((kv) => kv.key === `${P}/status/me`));
    const doc = await readDoc(dir);
    assert.ok(!doc.kvs.some((kv) => kv.key === `${P}/status/me`), 'not in the file');
    assert.equal(doc.revision, held.revision, 'but its revision is, so revisions never go back');
    await s1.close();

    const s2 = await open(dir);
    const after = await s2.load();
    assert.deepEqual(after.kvs.map((kv) => kv.key), [`${P}/routes/a`]);
    assert.ok(after.revision >= held.revision);
    assert.ok((await s2.put(`${P}/routes/b`, 'b')) > held.revision);
    await eph.close(); // closing a handle of a closed store is harmless
  });

  test('a regular put takes a key over from its ephemeral holder', async () => {
    const dir = await tempDir();
    const s = await open(dir);
    const eph = s.ephemeral(`${P}/servers/api/s1`, 10);
    await eph.set('{"url":"http://a"}');
    await s.put(`${P}/servers/api/s1`, '{"url":"http://b"}');
    await eph.close();
    assert.equal((await s.get(`${P}/servers/api/s1`))?.value, '{"url":"http://b"}', 'the ephemeral close does not delete it');
    assert.ok((await readDoc(dir)).kvs.some((kv) => kv.key === `${P}/servers/api/s1`), 'and it is persistent now');
  });

  test('history is bounded: a watch older than historyLimit gets a reset, a recent one a replay', async () => {
    const dir = await tempDir();
    const s = await open(dir, { historyLimit: 3 });
    const revs: number[] = [];
    for (let i = 0; i < 6; i++) revs.push(await s.put(`${P}/routes/r${i}`, String(i)));
    const old: StoreUpdate[] = [];
    const recent: StoreUpdate[] = [];
    const w1 = s.watch(revs[1]!, (u) => old.push(u));
    const w2 = s.watch(revs[3]!, (u) => recent.push(u));
    await until('deliveries', () => old.length >= 1 && recent.length >= 3);
    assert.equal(old[0]?.kind, 'reset');
    assert.deepEqual(old[0]?.kind === 'reset' ? old[0].snapshot : undefined, await s.load());
    assert.deepEqual(recent.map((u) => (u.kind === 'changes' ? u.revision : -1)), revs.slice(3));
    await w1.close();
    await w2.close();
  });

  test('history does not survive a restart: a watch from before it gets a reset', async () => {
    const dir = await tempDir();
    const s1 = await open(dir);
    const r1 = await s1.put(`${P}/routes/a`, '1');
    const r2 = await s1.put(`${P}/routes/b`, '2');
    await s1.close();
    const s2 = await open(dir);
    const got: StoreUpdate[] = [];
    const w = s2.watch(r1, (u) => got.push(u));
    const live: StoreUpdate[] = [];
    const w2 = s2.watch(r2 + 1, (u) => live.push(u));
    const r3 = await s2.put(`${P}/routes/c`, '3');
    await until('deliveries', () => got.length >= 2 && live.length >= 1);
    assert.equal(got[0]?.kind, 'reset');
    assert.deepEqual(got[1], live[0]);
    assert.equal(live[0]?.kind === 'changes' ? live[0].revision : 0, r3);
    await w.close();
    await w2.close();
  });
});
