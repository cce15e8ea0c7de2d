/**
 * One contract, two stores: the same suite runs against the etcd store (on a real etcd) and the
 * embedded store, so the embedded store can never drift from etcd's semantics.
 */
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmbeddedStore } from '../../src/config/store/embedded-store.js';
import { EtcdStore } from '../../src/config/store/etcd-store.js';
import type { ConfigStore, StoreEvent, StoreUpdate } from '../../src/config/store/types.js';
import { etcdctl, startEtcd, type EtcdProcess } from '../support/etcd.js';
import { IpcChannel } from '../../src/cluster/ipc-channel.js';
import { RemoteStore } from '../../src/cluster/remote-store.js';
import { StoreHost } from '../../src/cluster/store-host.js';
import { ipcPair } from '../support/ipc-pair.js';

interface Fixture {
  readonly store: ConfigStore & { compact(revision: number): Promise<void> };
  /** writes a key behind the store's back (another client); absent when no other writer can exist */
  readonly writeForeign?: (key: string, value: string) => Promise<void>;
  close(): Promise<void>;
}

interface Backend {
  readonly name: string;
  open(prefix: string): Promise<Fixture>;
}

/** Records a watch's updates; `until` polls them against a deadline. */
class Recorder {
  readonly updates: StoreUpdate[] = [];
  readonly onUpdate = (u: StoreUpdate): void => {
    this.updates.push(u);
  };

  events(): StoreEvent[] {
    return this.updates.flatMap((u) => (u.kind === 'changes' ? [...u.events] : []));
  }

  async until(what: string, pred: (r: Recorder) => boolean, timeoutMs = 8000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this)) {
      if (Date.now() > deadline) {
        assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(this.updates, null, 1)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  untilKey(key: string, timeoutMs?: number): Promise<void> {
    return this.until(`an event on ${key}`, (r) => r.events().some((e) => e.key === key), timeoutMs);
  }
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected code ${code}, got ${String(err)}`);
    return true;
  });
}

function contractSuite(backend: Backend): void {
  describe(`ConfigStore contract: ${backend.name}`, () => {
    let fx: Fixture;
    let store: Fixture['store'];
    let p: string;
    let n = 0;

    beforeEach(async () => {
      p = `/t${++n}-${randomBytes(3).toString('hex')}/junction`;
      fx = await backend.open(p);
      store = fx.store;
    });
    afterEach(async () => {
      await fx.close();
    });

    test('load reads every key under the prefix at one revision', async () => {
      const r1 = await store.put(`${p}/routes/b`, '{"b":1}');
      const r2 = await store.put(`${p}/routes/a`, '{"a":1}');
      const r3 = await store.put(`${p}/backends/x`, '{"x":1}');
      const snap = await store.load();
      assert.equal(snap.revision, r3);
      assert.equal(store.prefix, p);
      assert.deepEqual(snap.kvs, [
        { key: `${p}/backends/x`, value: '{"x":1}', createRevision: r3, modRevision: r3, version: 1 },
        { key: `${p}/routes/a`, value: '{"a":1}', createRevision: r2, modRevision: r2, version: 1 },
        { key: `${p}/routes/b`, value: '{"b":1}', createRevision: r1, modRevision: r1, version: 1 },
      ]);
    });

    test('put adds exactly one revision; get returns the key and its revisions', async () => {
      const r0 = (await store.load()).revision;
      const k = `${p}/routes/r`;
      const r1 = await store.put(k, 'v1');
      assert.equal(r1, r0 + 1);
      const r2 = await store.put(k, 'v2');
      assert.equal(r2, r1 + 1);
      assert.deepEqual(await store.get(k), { key: k, value: 'v2', createRevision: r1, modRevision: r2, version: 2 });
      assert.equal(await store.get(`${p}/routes/missing`), undefined);
      assert.equal((await store.load()).revision, r2);
    });

    test('delete adds one revision; deleting a missing key adds none; re-creating starts over', async () => {
      const k = `${p}/filters/f`;
      const r1 = await store.put(k, 'v');
      const r2 = await store.delete(k);
      assert.equal(r2, r1 + 1);
      assert.equal(await store.get(k), undefined);
      assert.equal(await store.delete(k), r2);
      assert.equal((await store.load()).revision, r2);
      const r3 = await store.put(k, 'again');
      assert.equal(r3, r2 + 1);
      assert.deepEqual(await store.get(k), { key: k, value: 'again', createRevision: r3, modRevision: r3, version: 1 });
    });

    test('a watch from revision + 1 delivers every change in order', async () => {
      const snap = await store.load();
      const rec = new Recorder();
      const w = store.watch(snap.revision + 1, rec.onUpdate);
      try {
        const ra = await store.put(`${p}/routes/a`, '1');
        const rb = await store.put(`${p}/routes/b`, '2');
        const rd = await store.delete(`${p}/routes/a`);
        const rc = await store.put(`${p}/routes/c`, '3');
        await rec.untilKey(`${p}/routes/c`);
        assert.ok(rec.updates.every((u) => u.kind === 'changes'));
        assert.deepEqual(
          rec.events().map((e) => [e.type, e.key, e.modRevision]),
          [
            ['put', `${p}/routes/a`, ra],
            ['put', `${p}/routes/b`, rb],
            ['delete', `${p}/routes/a`, rd],
            ['put', `${p}/routes/c`, rc],
          ],
        );
        const put = rec.events()[1];
        assert.deepEqual(put, { type: 'put', key: `${p}/routes/b`, value: '2', modRevision: rb, createRevision: rb, version: 1 });
        let last = snap.revision;
        for (const u of rec.updates) {
          assert.equal(u.kind, 'changes');
          if (u.kind !== 'changes') continue;
          assert.ok(u.revision > last, 'update revisions increase');
          assert.equal(u.revision, Math.max(...u.events.map((e) => e.modRevision)));
          last = u.revision;
        }
      } finally {
        await w.close();
      }
    });

    test('a transaction arrives as one update at one revision, never split', async () => {
      await store.put(`${p}/routes/old`, 'x');
      const snap = await store.load();
      const rec = new Recorder();
      const w = store.watch(snap.revision + 1, rec.onUpdate);
      try {
        const before = await store.put(`${p}/routes/before`, 'b');
        const tx = await store.txn([
          { op: 'put', key: `${p}/routes/x`, value: 'X' },
          { op: 'put', key: `${p}/backends/y`, value: 'Y' },
          { op: 'put', key: `${p}/filters/z`, value: 'Z' },
          { op: 'delete', key: `${p}/routes/old` },
        ]);
        assert.equal(tx.succeeded, true);
        assert.equal(tx.revision, before + 1);
        const afterRev = await store.put(`${p}/routes/after`, 'a');
        await rec.untilKey(`${p}/routes/after`);
        const txUpdates = rec.updates.filter(
          (u) => u.kind === 'changes' && u.events.some((e) => e.modRevision === tx.revision),
        );
        assert.equal(txUpdates.length, 1, 'the transaction is in exactly one update');
        const u = txUpdates[0]!;
        assert.equal(u.kind, 'changes');
        if (u.kind !== 'changes') return;
        const own = u.events.filter((e) => e.modRevision === tx.revision);
        assert.deepEqual(
          own.map((e) => [e.type, e.key]),
          [
            ['put', `${p}/routes/x`],
            ['put', `${p}/backends/y`],
            ['put', `${p}/filters/z`],
            ['delete', `${p}/routes/old`],
          ],
        );
        assert.ok(rec.events().some((e) => e.modRevision === afterRev));
        for (const k of ['routes/x', 'backends/y', 'filters/z']) {
          assert.equal((await store.get(`${p}/${k}`))?.modRevision, tx.revision);
        }
      } finally {
        await w.close();
      }
    });

    test('txn conditions: modRevision match, mismatch writes nothing, 0 means must not exist', async () => {
      const k = `${p}/routes/guarded`;
      const rk = await store.put(k, 'v1');
      const ok = await store.txn([{ op: 'put', key: k, value: 'v2' }], [{ key: k, modRevision: rk }]);
      assert.deepEqual(ok, { succeeded: true, revision: rk + 1 });

      const stale = await store.txn(
        [
          { op: 'put', key: k, value: 'v3' },
          { op: 'put', key: `${p}/routes/side`, value: 's' },
        ],
        [{ key: k, modRevision: rk }],
      );
      assert.deepEqual(stale, { succeeded: false, revision: rk + 1 });
      assert.equal((await store.get(k))?.value, 'v2');
      assert.equal(await store.get(`${p}/routes/side`), undefined);
      assert.equal((await store.load()).revision, rk + 1);

      const n = `${p}/routes/new`;
      const created = await store.txn([{ op: 'put', key: n, value: 'n1' }], [{ key: n, modRevision: 0 }]);
      assert.deepEqual(created, { succeeded: true, revision: rk + 2 });
      const again = await store.txn([{ op: 'put', key: n, value: 'n2' }], [{ key: n, modRevision: 0 }]);
      assert.deepEqual(again, { succeeded: false, revision: rk + 2 });
      assert.equal((await store.get(n))?.value, 'n1');

      // several conditions must all hold
      const both = await store.txn(
        [{ op: 'delete', key: n }],
        [
          { key: n, modRevision: rk + 2 },
          { key: k, modRevision: rk },
        ],
      );
      assert.equal(both.succeeded, false);
      assert.equal((await store.get(n))?.value, 'n1');
    });

    test('failed transactions and no-op deletes deliver nothing', async () => {
      const k = `${p}/routes/k`;
      const rk = await store.put(k, 'v');
      const rec = new Recorder();
      const w = store.watch(rk + 1, rec.onUpdate);
      try {
        await store.txn([{ op: 'put', key: k, value: 'no' }], [{ key: k, modRevision: rk - 1 }]);
        await store.delete(`${p}/routes/missing`);
        const marker = await store.put(`${p}/routes/marker`, 'm');
        await rec.untilKey(`${p}/routes/marker`);
        assert.deepEqual(rec.events().map((e) => [e.key, e.modRevision]), [[`${p}/routes/marker`, marker]]);
        assert.equal(marker, rk + 1);
      } finally {
        await w.close();
      }
    });

    test('a watch from an old revision replays the history since then', async () => {
      const ra = await store.put(`${p}/routes/a`, '1');
      const rb = await store.put(`${p}/routes/b`, '2');
      const rc = await store.delete(`${p}/routes/a`);
      const full = new Recorder();
      const fromB = new Recorder();
      const w1 = store.watch(ra, full.onUpdate);
      const w2 = store.watch(rb, fromB.onUpdate);
      try {
        await full.until('the replay up to the delete', (r) => r.events().some((e) => e.modRevision === rc));
        await fromB.until('the replay up to the delete', (r) => r.events().some((e) => e.modRevision === rc));
        assert.ok(full.updates.every((u) => u.kind === 'changes'), 'no reset while history is available');
        assert.deepEqual(full.events().map((e) => [e.type, e.key, e.modRevision]), [
          ['put', `${p}/routes/a`, ra],
          ['put', `${p}/routes/b`, rb],
          ['delete', `${p}/routes/a`, rc],
        ]);
        assert.deepEqual(fromB.events().map((e) => e.modRevision), [rb, rc]);
        // and the replaying watch continues live
        const rd = await store.put(`${p}/routes/d`, '4');
        await full.untilKey(`${p}/routes/d`);
        assert.equal(full.events().at(-1)?.modRevision, rd);
      } finally {
        await w1.close();
        await w2.close();
      }
    });

    test('a watch from a compacted revision gets a reset with the full current data, then changes', async () => {
      const ra = await store.put(`${p}/routes/a`, '1');
      await store.put(`${p}/routes/b`, '2');
      await store.put(`${p}/routes/a`, '1b');
      const rd = await store.delete(`${p}/routes/b`);
      const rc = await store.put(`${p}/routes/c`, '3');
      await store.compact(rc);
      const current = await store.load();
      const rec = new Recorder();
      const w = store.watch(ra, rec.onUpdate);
      try {
        await rec.until('a reset', (r) => r.updates.length > 0);
        const first = rec.updates[0]!;
        assert.equal(first.kind, 'reset');
        if (first.kind !== 'reset') return;
        assert.deepEqual(first.snapshot, current);
        assert.ok(first.snapshot.revision >= rc && rd < rc);
        assert.deepEqual(first.snapshot.kvs.map((kv) => [kv.key, kv.value]), [
          [`${p}/routes/a`, '1b'],
          [`${p}/routes/c`, '3'],
        ]);
        const re = await store.put(`${p}/routes/e`, '5');
        await rec.untilKey(`${p}/routes/e`);
        const later = rec.updates.slice(1);
        assert.ok(later.every((u) => u.kind === 'changes'));
        assert.deepEqual(rec.events().map((e) => [e.key, e.modRevision]), [[`${p}/routes/e`, re]]);
      } finally {
        await w.close();
      }
    });

    test('an onUpdate that throws does not stop later deliveries', async () => {
      const r0 = (await store.load()).revision;
      const seen: StoreUpdate[] = [];
      const w = store.watch(r0 + 1, (u) => {
        seen.push(u);
        throw new Error('consumer bug');
      });
      try {
        await store.put(`${p}/routes/1`, 'a');
        await store.put(`${p}/routes/2`, 'b');
        await store.txn([{ op: 'put', key: `${p}/routes/3`, value: 'c' }]);
        const deadline = Date.now() + 8000;
        while (seen.flatMap((u) => (u.kind === 'changes' ? [...u.events] : [])).length < 3) {
          assert.ok(Date.now() < deadline, `only ${seen.length} updates delivered`);
          await new Promise((r) => setTimeout(r, 10));
        }
        const keys = seen.flatMap((u) => (u.kind === 'changes' ? u.events.map((e) => e.key) : []));
        assert.deepEqual(keys, [`${p}/routes/1`, `${p}/routes/2`, `${p}/routes/3`]);
      } finally {
        await w.close();
      }
    });

    test('ephemeral keys are visible while held and gone after close()', async () => {
      const k = `${p}/status/instance-1`;
      const r0 = (await store.load()).revision;
      const rec = new Recorder();
      const w = store.watch(r0 + 1, rec.onUpdate);
      try {
        const eph = store.ephemeral(k, 5);
        await eph.set('{"revision":1}');
        assert.equal((await store.get(k))?.value, '{"revision":1}');
        assert.ok((await store.load()).kvs.some((kv) => kv.key === k));
        await eph.set('{"revision":2}');
        const held = await store.get(k);
        assert.equal(held?.value, '{"revision":2}');
        assert.equal(held?.version, 2);
        await eph.close();
        assert.equal(await store.get(k), undefined);
        assert.ok(!(await store.load()).kvs.some((kv) => kv.key === k));
        await rec.until('the delete', (r) => r.events().some((e) => e.type === 'delete'));
        assert.deepEqual(rec.events().map((e) => e.type), ['put', 'put', 'delete']);
        await rejectsWithCode(eph.set('late'), 'store_closed');
      } finally {
        await w.close();
      }
    });

    test('keys outside the prefix never appear and cannot be written through the store', async () => {
      const outside = [`${p}x/a`, p, `${p}-other/b`, '/elsewhere/c'];
      for (const key of outside) {
        await rejectsWithCode(store.put(key, 'v'), 'invalid_key');
        await rejectsWithCode(store.get(key), 'invalid_key');
        await rejectsWithCode(store.delete(key), 'invalid_key');
        await rejectsWithCode(store.txn([{ op: 'put', key, value: 'v' }]), 'invalid_key');
        assert.throws(() => store.ephemeral(key, 5), (err: unknown) => (err as { code?: string }).code === 'invalid_key');
      }
      const r0 = (await store.load()).revision;
      const rec = new Recorder();
      const w = store.watch(r0 + 1, rec.onUpdate);
      try {
        if (fx.writeForeign) for (const key of outside) await fx.writeForeign(key, 'foreign');
        const inside = await store.put(`${p}/routes/in`, 'in');
        await rec.untilKey(`${p}/routes/in`);
        assert.deepEqual(rec.events().map((e) => e.key), [`${p}/routes/in`]);
        assert.ok(rec.updates.every((u) => u.kind === 'changes'));
        const snap = await store.load();
        assert.deepEqual(snap.kvs.map((kv) => kv.key), [`${p}/routes/in`]);
        assert.ok(snap.revision >= inside);
      } finally {
        await w.close();
      }
    });

    test('a closed watch delivers nothing more', async () => {
      const r0 = (await store.load()).revision;
      const closed = new Recorder();
      const w1 = store.watch(r0 + 1, closed.onUpdate);
      await store.put(`${p}/routes/a`, '1');
      await closed.untilKey(`${p}/routes/a`);
      await w1.close();
      const open = new Recorder();
      const w2 = store.watch(r0 + 1, open.onUpdate);
      try {
        await store.put(`${p}/routes/b`, '2');
        await open.untilKey(`${p}/routes/b`);
        assert.deepEqual(closed.events().map((e) => e.key), [`${p}/routes/a`]);
      } finally {
        await w2.close();
      }
    });

    test('a lock has one holder at a time: created only if absent, freed by release()', async () => {
      const k = `${p}/locks/acme`;
      const attempts = await Promise.all([1, 2, 3, 4, 5].map((i) => store.tryLock(k, `{"instance":"i${i}"}`, 5)));
      const holders = attempts.filter((l) => l !== undefined);
      assert.equal(holders.length, 1, 'exactly one of five concurrent attempts holds the lock');
      const lock = holders[0]!;
      assert.equal(lock.key, k);
      assert.equal(lock.signal.aborted, false);
      const held = await store.get(k);
      assert.ok(held !== undefined && /"instance":"i[1-5]"/.test(held.value));
      assert.equal(held.createRevision, lock.revision, 'the fencing revision is the key\'s create revision');
      assert.equal(await store.tryLock(k, '{"instance":"late"}', 5), undefined, 'a second holder is refused');
      // a write fenced by the lock goes through while it holds
      const fenced = await store.txn([{ op: 'put', key: `${p}/certs/x`, value: '1' }], [{ key: k, modRevision: lock.revision }]);
      assert.equal(fenced.succeeded, true);
      await lock.release();
      assert.equal(lock.signal.aborted, true);
      assert.equal(await store.get(k), undefined, 'release deletes the key');
      await lock.release(); // idempotent
      const next = await store.tryLock(k, '{"instance":"next"}', 5);
      assert.ok(next !== undefined, 'the next holder takes it once released');
      assert.ok(next.revision > lock.revision);
      const stale = await store.txn([{ op: 'put', key: `${p}/certs/x`, value: '2' }], [{ key: k, modRevision: lock.revision }]);
      assert.equal(stale.succeeded, false, 'a write fenced by the released lock is refused');
      assert.ok((await store.load()).kvs.some((kv) => kv.key === k), 'a held lock is visible to load()');
      await next.release();
    });

    test('a lock is lost, and its holder told, when its key is deleted or written by someone else', async () => {
      const k = `${p}/locks/rollouts`;
      const lost = (lock: { signal: AbortSignal }) =>
        new Promise<string>((resolve) => {
          if (lock.signal.aborted) resolve(String((lock.signal.reason as Error).message));
          lock.signal.addEventListener('abort', () => resolve(String((lock.signal.reason as Error).message)));
        });
      const a = await store.tryLock(k, 'a', 5);
      assert.ok(a !== undefined);
      await store.delete(k);
      assert.match(await lost(a), /deleted/);
      const b = await store.tryLock(k, 'b', 5);
      assert.ok(b !== undefined, 'a deleted lock can be taken again');
      await store.put(k, 'someone else');
      assert.match(await lost(b), /lost/);
      await b.release(); // after a loss: nothing to do, and it does not delete the other writer's key
      assert.equal((await store.get(k))?.value, 'someone else');
      assert.equal(await store.tryLock(k, 'c', 5), undefined, 'a key that exists is not a free lock');
      await store.delete(k);
    });

    test('health is connected; a closed store refuses calls', async () => {
      await store.put(`${p}/routes/a`, '1');
      const h = store.health();
      assert.equal(h.connected, true);
      assert.ok(h.lastContactAt > 0 && h.lastContactAt <= Date.now());
      assert.equal(h.error, undefined);
      await store.close();
      await rejectsWithCode(store.put(`${p}/routes/a`, '2'), 'store_closed');
      await rejectsWithCode(store.load(), 'store_closed');
    });
  });
}

let etcd: EtcdProcess | undefined;
before(async () => {
  etcd = await startEtcd({ name: 'contract' });
});
after(async () => {
  await etcd?.cleanup();
});

contractSuite({
  name: 'etcd',
  async open(prefix) {
    const endpoint = etcd!.endpoint;
    const store = await EtcdStore.open({ endpoints: [endpoint], prefix });
    return {
      store,
      writeForeign: async (key, value) => {
        await etcdctl([endpoint], 'put', key, value);
      },
      close: () => store.close(),
    };
  },
});

contractSuite({
  name: 'embedded',
  async open(prefix) {
    const dataDir = await mkdtemp(join(tmpdir(), 'junction-store-contract-'));
    const store = await EmbeddedStore.open({ dataDir, prefix });
    return {
      store,
      close: async () => {
        await store.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});

// What a `--workers` worker uses: the embedded store owned by the primary, reached over the IPC
// channel (here an in-memory pipe that JSON-encodes every message, as node's IPC does).
contractSuite({
  name: 'remote (embedded store behind the worker IPC channel)',
  async open(prefix) {
    const dataDir = await mkdtemp(join(tmpdir(), 'junction-store-contract-'));
    const inner = await EmbeddedStore.open({ dataDir, prefix });
    const [primarySide, workerSide] = ipcPair();
    const primary = new IpcChannel(primarySide);
    const host = new StoreHost(inner, primary);
    const worker = new IpcChannel(workerSide);
    const remote = await RemoteStore.connect(worker);
    const store = Object.assign(remote, { compact: (revision: number) => inner.compact(revision) });
    return {
      store,
      close: async () => {
        await remote.close();
        await host.dispose();
        worker.close();
        primary.close();
        await inner.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
});
