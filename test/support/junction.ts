import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { request } from 'undici';
import type { AddressInfo } from 'node:net';
import { startJunction, type Junction, type JunctionOptions } from '../../src/junction.js';
import { waitFor } from './wait.js';

export interface TestJunction extends Junction {
  /** the plain listener (tests always start one) */
  readonly proxyAddress: AddressInfo;
  /** base URL of the proxy listener */
  readonly url: string;
  /** base URL of the admin listener */
  readonly adminUrl: string;
  readonly dataDir: string;
  /** writes a JSON document (or a raw string) under the prefix, e.g. put('routes/a', {...}) */
  put(relKey: string, value: unknown): Promise<number>;
  del(relKey: string): Promise<number>;
  /** waits until the applied configuration reaches `revision` */
  applied(revision: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a real Junction on loopback ports: on the embedded store (temp dir) unless `etcd` is given. */
export async function startTestJunction(
  opts: Partial<Omit<JunctionOptions, 'logger'>> & { logLevel?: pino.LevelWithSilent } = {},
): Promise<TestJunction> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'junction-test-'));
  const ownsDir = opts.dataDir === undefined;
  const logger = pino({ level: opts.logLevel ?? (process.env.JUNCTION_TEST_LOG_LEVEL as pino.LevelWithSilent | undefined) ?? 'silent' });
  const j = await startJunction({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    prefix: '/junction',
    instanceId: `test-${process.pid}`,
    ...opts,
    dataDir,
    logger,
  });
  await j.firstApplied;
  const proxyAddress = j.proxyAddress;
  if (proxyAddress === undefined) throw new Error('startTestJunction: no plain listener');
  const prefix = opts.prefix ?? '/junction';
  const put = (relKey: string, value: unknown) =>
    j.store.put(`${prefix}/${relKey}`, typeof value === 'string' ? value : JSON.stringify(value));
  const applied = (revision: number) =>
    waitFor(`revision ${revision} applied`, () => (j.snapshot()?.revision ?? 0) >= revision, 10_000, 5).then(() => undefined);
  return Object.assign(Object.create(null) as object, j, {
    proxyAddress,
    url: `http://127.0.0.1:${proxyAddress.port}`,
    adminUrl: `http://127.0.0.1:${j.adminAddress.port}`,
    dataDir,
    put,
    del: (relKey: string) => j.store.delete(`${prefix}/${relKey}`),
    applied,
    snapshot: () => j.snapshot(),
    close: () => j.close(),
    stop: async () => {
      await j.close();
      if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    },
  }) as TestJunction;
}

/** One request through undici with a fresh connection, body read as text. */
export async function get(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => any }> {
  const res = await request(url, {
    method: (init.method ?? 'GET') as 'GET',
    headers: { connection: 'close', ...init.headers },
    body: init.body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}
