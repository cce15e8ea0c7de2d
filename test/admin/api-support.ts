import { after, before, describe } from 'node:test';
import { request } from 'undici';
import { startEtcd, type EtcdProcess } from '../support/etcd.js';
import { startTestJunction, type TestJunction } from '../support/junction.js';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: any;
}

/** One admin API call: JSON in (objects are serialized, strings sent as they are), JSON out. */
export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const r = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.body.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: r.statusCode, headers: r.headers, text, body: parsed };
}

export type StoreKind = 'embedded' | 'etcd';

/**
 * Runs the same suite against a Junction on the embedded store and one on a real etcd. `suite`
 * receives a getter for the instance of its store (started in `before`, stopped in `after`).
 */
export function onBothStores(name: string, suite: (j: () => TestJunction, kind: StoreKind) => void, opts: { adminToken?: string } = {}): void {
  for (const kind of ['embedded', 'etcd'] as const) {
    describe(`${name} (${kind} store)`, () => {
      let etcd: EtcdProcess | undefined;
      let junction: TestJunction | undefined;
      before(async () => {
        if (kind === 'etcd') etcd = await startEtcd();
        junction = await startTestJunction({ ...(etcd ? { etcd: [etcd.endpoint] } : {}), ...opts });
      });
      after(async () => {
        await junction?.stop();
        await etcd?.cleanup();
      });
      suite(() => junction as TestJunction, kind);
    });
  }
}

export function unquote(etag: unknown): number {
  return Number(String(etag).replace(/"/g, ''));
}
