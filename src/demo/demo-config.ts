import type { ConfigStore, TxnOp } from '../config/store/types.js';
import { demoCertSpec } from './demo-cert.js';

/**
 * The demo configuration, written into the store in one transaction at start-up (the demo's
 * upstreams listen on fresh ports each time, so their keys are rewritten every start):
 * - backends `demo-stable`, `demo-canary`, `demo-shadow`, one upstream each;
 * - route `demo` (everything): a canary split, 90% demo-stable / 10% demo-canary, sticky by the
 *   `junction_canary` cookie, forced by `x-junction-backend` (header) or `junction_backend` (cookie),
 *   guarded (the canary is pulled back if over half of at least 20 requests in 30 s fail), and
 *   teeing 20% of GET/HEAD traffic to demo-shadow, fire-and-forget;
 * - route `demo-canary` (`/canary/`) → demo-canary, to show path routing;
 * - certificate `demo`: self-signed for localhost, marked default, for the TLS listener.
 * Only `demo*` keys are touched: an operator's own keys in the same store are left alone.
 */
export async function writeDemoConfig(store: ConfigStore, urls: { stable: string; canary: string; shadow: string }): Promise<number> {
  const p = store.prefix;
  const backend = (id: string, url: string) => JSON.stringify({ balancer: 'round-robin', servers: [{ id, url, weight: 1 }] });
  const ops: TxnOp[] = [
    { op: 'put', key: `${p}/backends/demo-stable`, value: backend('stable-1', urls.stable) },
    { op: 'put', key: `${p}/backends/demo-canary`, value: backend('canary-1', urls.canary) },
    { op: 'put', key: `${p}/backends/demo-shadow`, value: backend('shadow-1', urls.shadow) },
    {
      op: 'put',
      key: `${p}/routes/demo`,
      value: JSON.stringify({
        match: { pathPrefix: '/' },
        split: [
          { backend: 'demo-stable', weight: 90 },
          { backend: 'demo-canary', weight: 10 },
        ],
        sticky: { cookie: 'junction_canary' },
        force: { header: 'x-junction-backend', cookie: 'junction_backend' },
        guard: { maxErrorRate: 0.5, minRequests: 20, windowMs: 30_000 },
        tee: [{ backend: 'demo-shadow', percent: 20, headers: { set: { 'x-env': 'shadow' } } }],
      }),
    },
    {
      op: 'put',
      key: `${p}/routes/demo-canary`,
      value: JSON.stringify({ match: { pathPrefix: '/canary/' }, priority: 10, backend: 'demo-canary' }),
    },
  ];
  // the TLS listener's certificate: a self-signed one for localhost, made once and kept
  const cert = await demoCertSpec((await store.get(`${p}/certs/demo`))?.value);
  if (cert !== undefined) ops.push({ op: 'put', key: `${p}/certs/demo`, value: cert });
  const result = await store.txn(ops);
  return result.revision;
}
