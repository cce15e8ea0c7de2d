import { Etcd3 } from 'etcd3';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { getOnce } from './http-get.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { pollUntil } from './time.js';

export interface BenchEtcd {
  readonly endpoint: string;
  readonly managed: Managed;
  readonly client: Etcd3;
  /** puts one JSON document; resolves with the revision of the put */
  putJson(key: string, value: unknown): Promise<number>;
  /** puts many keys, at most `perTxn` (etcd's default limit is 128) per transaction; returns the last revision */
  putMany(entries: ReadonlyArray<readonly [string, unknown]>, perTxn?: number): Promise<number>;
  close(): Promise<void>;
}

const ETCD_BIN = process.env['BENCH_ETCD_BIN'] ?? 'etcd';

/** Starts a single-member etcd on 127.0.0.1 with its data in a temp dir, pinned to the load core. */
export async function startBenchEtcd(group: ProcessGroup): Promise<BenchEtcd> {
  const dir = group.tempDir('etcd');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const managed = group.spawn(
    'etcd',
    ETCD_BIN,
    [
      '--name', 'bench',
      '--data-dir', join(dir, 'data'),
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `bench=${peer}`,
      '--log-level', 'error',
    ],
    { core: group.pinning.loadCore, stdout: 'capture', stderr: 'capture' },
  );
  try {
    await pollUntil(
      'etcd /health',
      async () => {
        if (!managed.running()) throw new Error(`etcd exited:\n${managed.output()}`);
        const r = await getOnce(`${endpoint}/health`);
        return r.status === 200 && r.body.includes('true') ? true : undefined;
      },
      15_000,
      50,
    );
  } catch (err) {
    await group.stop(managed, 1000);
    throw err;
  }
  const client = new Etcd3({ hosts: endpoint, grpcOptions: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 } });
  const putJson = async (key: string, value: unknown) => {
    const res = await client.put(key).value(typeof value === 'string' ? value : JSON.stringify(value)).exec();
    return Number(res.header.revision);
  };
  const putMany = async (entries: ReadonlyArray<readonly [string, unknown]>, perTxn = 128) => {
    let revision = 0;
    for (let i = 0; i < entries.length; i += perTxn) {
      const success = entries.slice(i, i + perTxn).map(([key, value]) => ({
        request_put: { key: Buffer.from(key), value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)) },
      }));
      const res = await client.kv.txn({ compare: [], success, failure: [] });
      revision = Number(res.header.revision);
    }
    return revision;
  };
  return { endpoint, managed, client, putJson, putMany, close: async () => client.close() };
}
