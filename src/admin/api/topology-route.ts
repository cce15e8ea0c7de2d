import type { Gauge } from 'prom-client';
import type { ConfigSnapshot } from '../../config/snapshot.js';
import type { Graph } from '../../contracts/graph.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AdminRouter } from '../admin-router.js';
import { sendJson } from '../http-util.js';
import { apiHandler } from './api-context.js';

export interface TopologyDeps {
  readonly prefix: string;
  readonly snapshot: () => ConfigSnapshot | undefined;
  readonly graph: () => Graph | undefined;
  readonly metrics: Metrics;
}

/**
 * `GET /api/v1/topology`: what is serving right now (the applied snapshot, not the store): routes
 * with their matches, targets and tees; backends with every server, its state, whether the
 * balancer may pick it, and its health and breaker state where Junction tracks them
 * (`junction_server_healthy`, `junction_breaker_open`; `null` when nothing reports them).
 * The dashboard and `junction status` draw on it.
 */
export function registerTopologyRoute(router: AdminRouter, deps: TopologyDeps): void {
  router.on('GET', '/api/v1/topology', apiHandler(async (_req, res) => sendJson(res, 200, await topology(deps))));
}

export async function topology(deps: TopologyDeps) {
  const snap = deps.snapshot();
  const graph = deps.graph();
  const [healthy, breaker] = await Promise.all([gaugeMap(deps.metrics.serverHealthy), gaugeMap(deps.metrics.breakerOpen)]);
  const rel = (key: string) => key.slice(deps.prefix.length + 1);
  const routes = [...(snap?.routes.values() ?? [])]
    .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1))
    .map((r) => ({
      id: r.id,
      key: rel(r.key),
      modRevision: r.modRevision,
      priority: r.priority,
      match: r.spec.match ?? {},
      ...(r.spec.backend !== undefined ? { backend: r.spec.backend } : {}),
      ...(r.spec.split !== undefined ? { split: r.spec.split } : {}),
      ...(r.spec.sticky ? { sticky: r.spec.sticky } : {}),
      ...(r.spec.guard ? { guard: r.spec.guard } : {}),
      tee: (r.spec.tee ?? []).map((t) => ({ backend: t.backend, percent: t.percent ?? 100, compare: t.compare ?? false })),
      filters: r.spec.filters ?? [],
    }));
  const backends = [...(snap?.backends.values() ?? [])]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map((b) => {
      const live = graph?.backends.get(b.id);
      return {
        id: b.id,
        key: rel(b.key),
        modRevision: b.modRevision,
        balancer: b.balancer,
        healthCheck: b.healthCheck !== undefined,
        servers: b.servers.map((s) => {
          const runtime = live?.servers.find((x) => x.id === s.id);
          const label = `${b.id}\u0000${s.id}`;
          return {
            id: s.id,
            url: s.url,
            weight: s.weight,
            state: s.state,
            source: s.source === 'inline' ? 'inline' : rel(s.source),
            /** the balancer may pick it now (active, and not out by health or breaker) */
            available: s.state === 'active' && runtime !== undefined && runtime.isAvailable(),
            healthy: healthy.has(label) ? healthy.get(label) === 1 : null,
            breakerOpen: breaker.has(label) ? breaker.get(label) === 1 : null,
          };
        }),
      };
    });
  return {
    revision: snap?.revision ?? 0,
    appliedAt: snap?.appliedAt ?? null,
    routes,
    backends,
    filters: [...(snap?.filters.values() ?? [])].map((f) => ({ id: f.id, type: f.spec.type, modRevision: f.modRevision })),
  };
}

async function gaugeMap(gauge: Gauge<'backend' | 'server'>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const v of (await gauge.get()).values) out.set(`${String(v.labels.backend ?? '')}\u0000${String(v.labels.server ?? '')}`, v.value);
  return out;
}
