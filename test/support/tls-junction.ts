import type { AddressInfo } from 'node:net';
import type { JunctionOptions } from '../../src/junction.js';
import { startTestJunction, type TestJunction } from './junction.js';
import { TestCa, type Minted } from './test-ca.js';
import { startUpstream, type TestUpstream, type UpstreamHandler } from './upstream.js';

export interface TlsJunction {
  readonly ca: TestCa;
  readonly j: TestJunction;
  readonly up: TestUpstream;
  /** the TLS listener's port */
  readonly port: number;
  /** the certificates stored, by id */
  readonly certs: Readonly<Record<string, Minted>>;
  stop(): Promise<void>;
}

/**
 * A Junction with a TLS listener in front of one upstream (`backends/up`, route `all` for every
 * path), and certificates from a fresh TestCa stored under `certs/<id>`: `{ id: { names, default } }`.
 */
export async function startTlsJunction(opts: {
  certs: Record<string, { names: string[]; default?: boolean }>;
  upstream?: UpstreamHandler;
  junction?: Partial<Omit<JunctionOptions, 'logger'>>;
}): Promise<TlsJunction> {
  const ca = new TestCa();
  const certs: Record<string, Minted> = {};
  for (const [id, c] of Object.entries(opts.certs)) certs[id] = ca.issue(c.names);
  const up = await startUpstream('up', opts.upstream);
  const j = await startTestJunction({ listenTls: { host: '127.0.0.1', port: 0 }, ...opts.junction });
  for (const [id, c] of Object.entries(opts.certs)) {
    const m = certs[id] as Minted;
    await j.put(`certs/${id}`, { cert: m.cert, key: m.key, ...(c.default === true ? { default: true } : {}) });
  }
  await j.put('backends/up', { servers: [{ id: 'u', url: up.url }] });
  await j.applied(await j.put('routes/all', { match: { pathPrefix: '/' }, backend: 'up' }));
  return {
    ca,
    j,
    up,
    port: (j.tlsAddress as AddressInfo).port,
    certs,
    stop: async () => {
      await j.stop();
      await up.close();
      ca.dispose();
    },
  };
}
