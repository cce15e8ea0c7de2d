/**
 * The etcd store against real etcd processes: outages, restarts, partitions (a TCP proxy that can
 * cut the store off while etcd keeps running), compaction during a partition, lease loss, and a
 * three-member cluster losing its leader.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { EtcdStore } from '../../src/config/store/etcd-store.js';
import { etcdctl, startEtcd, startEtcdCluster, type EtcdProcess } from '../support/etcd.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { Recorder, until } from '../support/store-recorder.js';


/** Asserts `pred` holds at every check during `ms` (for "stays false" properties). */
async function holdsFor(what: string, pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.ok(pred(), `${what} stopped holding`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal((err as { code?: unknown }).code, code, `expected ${code}, got ${String(err)}`);
    return true;
  });
}

interface LogLine {
  level: number;
  msg: string;
}

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

/** Any unhandled error during these tests would mean the store let one escape. */
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);

let etcd: EtcdProcess;
before(async () => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  etcd = await startEtcd({ name: 'etcd-store' });
});
after(async () => {
  await etcd?.cleanup();
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  assert.deepEqual(escaped, [], 'no error escaped the store');
});

const newPrefix = (): string => `/es-${randomBytes(3).toString('hex')}/junction`;

describe('etcd store: single etcd', () => {
  test('etcd killed: health turns false and stays false, calls fail typed, nothing throws; restarted: the watch resumes where it stopped', async () => {
    const p = newPrefix();
    const { logger, lines } = capturingLogger();
    const store = await EtcdStore.open({ endpoints: [etcd.endpoint], prefix: p, logger, callTimeoutMs: 2000 });
    try {
      assert.equal(store.health().connected, true);
      const rec = new Recorder();
      const w = store.watch((await store.load()).revision + 1, rec.onUpdate);
      const ra = await store.put(`${p}/routes/a`, 'a');
      await rec.untilKey(`${p}/routes/a`);

      await etcd.kill();
      const detectMs = await until('health to report disconnected', () => !store.health().connected, 5000);
      const down = store.health();
      assert.equal(typeof down.error, 'string');
      assert.ok(down.lastContactAt > 0 && Date.now() - down.lastContactAt >= detectMs - 50);
      await rejectsWithCode(store.put(`${p}/routes/x`, 'x'), 'store_unavailable');
      await rejectsWithCode(store.load(), 'store_unavailable');
      await rejectsWithCode(store.get(`${p}/routes/a`), 'store_unavailable');
      await holdsFor('disconnected', () => !store.health().connected, 2500);
      assert.equal(store.health().lastContactAt, down.lastContactAt, 'no contact while etcd is down');

      await etcd.start();
      // another client writes before the store has necessarily reconnected
      await etcdctl([etcd.endpoint], 'put', `${p}/routes/other-client`, 'o');
      await until('health to reconnect', () => store.health().connected, 15_000);
      const rb = await store.put(`${p}/routes/b`, 'b');
      await rec.untilKey(`${p}/routes/b`);
      assert.ok(rec.updates.every((u) => u.kind === 'changes'), 'resumed without a reset');
      const evs = rec.events();
      assert.deepEqual(evs.map((e) => e.key), [`${p}/routes/a`, `${p}/routes/other-client`, `${p}/routes/b`]);
      assert.equal(evs[0]?.modRevision, ra);
      assert.equal(evs[2]?.modRevision, rb);
      assert.ok(ra < evs[1]!.modRevision && evs[1]!.modRevision < rb);
      await w.close();

      const unreachable = lines.filter((l) => l.msg.includes('unreachable'));
      const back = lines.filter((l) => l.msg.includes('reachable again'));
      assert.equal(unreachable.length, 1, 'one log line when etcd goes away');
      assert.equal(back.length, 1, 'one log line when it returns');
    } finally {
      await store.close();
    }
  });

  test('writes by another client while the store is cut off arrive after it reconnects: in order, once, no reset', async () => {
    const p = newPrefix();
    const proxy = await startTcpProxy(Number(new URL(etcd.endpoint).port));
    const store = await EtcdStore.open({ endpoints: [proxy.url], prefix: p, callTimeoutMs: 2000 });
    try {
      const rec = new Recorder();
      const w = store.watch((await store.load()).revision + 1, rec.onUpdate);
      await store.put(`${p}/routes/a`, '1');
      await rec.untilKey(`${p}/routes/a`);

      proxy.cut();
      await until('health to report disconnected', () => !store.health().connected, 5000);
      await etcdctl([etcd.endpoint], 'put', `${p}/routes/b`, '2');
      await etcdctl([etcd.endpoint], 'del', `${p}/routes/a`);
      await etcdctl([etcd.endpoint], 'put', `${p}/routes/c`, '3');
      // etcd's revision moves on outside the prefix too
      await etcdctl([etcd.endpoint], 'put', `${p}x/unrelated`, 'u');
      const during = JSON.parse(await etcdctl([etcd.endpoint], 'get', `${p}/`, '--prefix', '-w', 'json')) as {
        header: { revision: number };
      };

      proxy.heal();
      await rec.untilKey(`${p}/routes/c`);
      await until('health to reconnect', () => store.health().connected, 15_000);
      const rd = await store.put(`${p}/routes/d`, '4');
      await rec.untilKey(`${p}/routes/d`);
      assert.ok(rec.updates.every((u) => u.kind === 'changes'), 'resumed without a reset');
      assert.deepEqual(
        rec.events().map((e) => [e.type, e.key]),
        [
          ['put', `${p}/routes/a`],
          ['put', `${p}/routes/b`],
          ['delete', `${p}/routes/a`],
          ['put', `${p}/routes/c`],
          ['put', `${p}/routes/d`],
        ],
      );
      assert.equal(rec.events().at(-1)?.modRevision, rd);
      assert.ok(rd > during.header.revision);
      await w.close();
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  test('history compacted while the store is cut off: the watch reloads and delivers a reset with everything', async () => {
    const p = newPrefix();
    const proxy = await startTcpProxy(Number(new URL(etcd.endpoint).port));
    const store = await EtcdStore.open({ endpoints: [proxy.url], prefix: p, callTimeoutMs: 2000 });
    try {
      await store.put(`${p}/routes/keep`, 'k');
      await store.put(`${p}/routes/gone`, 'g');
      const rec = new Recorder();
      const w = store.watch((await store.load()).revision + 1, rec.onUpdate);
      await store.put(`${p}/routes/seen`, 's');
      await rec.untilKey(`${p}/routes/seen`);

      proxy.cut();
      await until('health to report disconnected', () => !store.health().connected, 5000);
      await etcdctl([etcd.endpoint], 'put', `${p}/routes/new`, 'n');
      await etcdctl([etcd.endpoint], 'del', `${p}/routes/gone`);
      const out = await etcdctl([etcd.endpoint], 'put', `${p}/routes/keep`, 'k2', '-w', 'json');
      const rev = (JSON.parse(out) as { header: { revision: number } }).header.revision;
      await etcdctl([etcd.endpoint], 'compact', String(rev), '--physical');

      proxy.heal();
      await until('a reset', () => rec.updates.some((u) => u.kind === 'reset'), 20_000, () => JSON.stringify(rec.updates));
      const reset = rec.updates.find((u) => u.kind === 'reset');
      assert.ok(reset && reset.kind === 'reset');
      assert.ok(reset.snapshot.revision >= rev);
      assert.deepEqual(
        reset.snapshot.kvs.map((kv) => [kv.key, kv.value]),
        [
          [`${p}/routes/keep`, 'k2'],
          [`${p}/routes/new`, 'n'],
          [`${p}/routes/seen`, 's'],
        ],
      );
      // nothing between the last delivered change and the reset leaked through as changes
      assert.deepEqual(rec.events().map((e) => e.key), [`${p}/routes/seen`]);
      // and the watch goes on after the reset
      const rl = await store.put(`${p}/routes/later`, 'l');
      await rec.untilKey(`${p}/routes/later`);
      assert.equal(rec.updates.at(-1)?.kind, 'changes');
      assert.equal(rec.events().at(-1)?.modRevision, rl);
      await w.close();
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  test('an ephemeral key whose lease expired while cut off is re-created with its last value', async () => {
    const p = newPrefix();
    const k = `${p}/status/i1`;
    const proxy = await startTcpProxy(Number(new URL(etcd.endpoint).port));
    const store = await EtcdStore.open({ endpoints: [proxy.url], prefix: p, callTimeoutMs: 1500 });
    const readDirect = async (): Promise<string> => (await etcdctl([etcd.endpoint], 'get', k, '--print-value-only')).trim();
    try {
      const eph = store.ephemeral(k, 2);
      await eph.set('v1');
      assert.equal(await readDirect(), 'v1');

      proxy.cut();
      await rejectsWithCode(eph.set('v2'), 'store_unavailable');
      await until('etcd to expire the lease and drop the key', async () => (await readDirect()) === '', 15_000);

      proxy.heal();
      await until('the key to be written again with the last value', async () => (await readDirect()) === 'v2', 20_000);
      const leaseId = (JSON.parse(await etcdctl([etcd.endpoint], 'get', k, '-w', 'json')) as { kvs: { lease: number }[] }).kvs[0]?.lease;
      assert.ok(leaseId !== undefined && leaseId !== 0, 'the key is under a lease again');

      await eph.close();
      assert.equal(await readDirect(), '');
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  test('close() is bounded while etcd cannot be reached', async () => {
    const p = newPrefix();
    const proxy = await startTcpProxy(Number(new URL(etcd.endpoint).port));
    const store = await EtcdStore.open({ endpoints: [proxy.url], prefix: p, callTimeoutMs: 1000 });
    try {
      const eph = store.ephemeral(`${p}/status/i1`, 5);
      await eph.set('v');
      const w = store.watch((await store.load()).revision + 1, () => undefined);
      proxy.cut();
      await until('health to report disconnected', () => !store.health().connected, 5000);
      const t0 = Date.now();
      await store.close();
      assert.ok(Date.now() - t0 < 5000, `close took ${Date.now() - t0} ms`);
      await w.close();
      await rejectsWithCode(store.put(`${p}/routes/a`, '1'), 'store_closed');
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  test('open() succeeds while etcd is unreachable and reports it; calls fail typed', async () => {
    const p = newPrefix();
    const proxy = await startTcpProxy(Number(new URL(etcd.endpoint).port));
    proxy.cut();
    const store = await EtcdStore.open({ endpoints: [proxy.url], prefix: p, callTimeoutMs: 1000 });
    try {
      assert.equal(store.health().connected, false);
      assert.equal(store.health().lastContactAt, 0);
      await rejectsWithCode(store.load(), 'store_unavailable');
      proxy.heal();
      await until('health to connect', () => store.health().connected, 15_000);
      assert.equal((await store.load()).kvs.length, 0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe('etcd store: three-member cluster', () => {
  test('the store keeps working through the other members when the leader dies', async () => {
    const cluster = await startEtcdCluster(3);
    const p = newPrefix();
    const store = await EtcdStore.open({ endpoints: cluster.endpoints, prefix: p, callTimeoutMs: 2000 });
    try {
      const rec = new Recorder();
      const w = store.watch((await store.load()).revision + 1, rec.onUpdate);
      await store.put(`${p}/routes/before`, 'b');
      await rec.untilKey(`${p}/routes/before`);

      const leader = await cluster.leader();
      await leader.kill();
      // the first write may meet the election; within seconds writes go through the others
      await until('a write to succeed after the leader died', async () => {
        try {
          await store.put(`${p}/routes/first-after`, 'f');
          return true;
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'store_unavailable');
          return false;
        }
      });
      const revs: number[] = [];
      for (let i = 0; i < 10; i++) revs.push(await store.put(`${p}/routes/after-${i}`, String(i)));
      await rec.untilKey(`${p}/routes/after-9`);
      const keys = rec.events().map((e) => e.key);
      assert.deepEqual(keys.slice(-10), revs.map((_, i) => `${p}/routes/after-${i}`));
      assert.ok(rec.updates.every((u) => u.kind === 'changes'));
      assert.equal((await store.load()).kvs.length, 12);
      await until('health to be connected', () => store.health().connected, 10_000);
      const newLeader = await cluster.leader();
      assert.notEqual(newLeader.name, leader.name);
      await w.close();
    } finally {
      await store.close();
      await cluster.cleanup();
    }
  });
});
