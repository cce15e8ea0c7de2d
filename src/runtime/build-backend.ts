import { createBalancer } from '../balancing/create-balancer.js';
import type { BackendConfig } from '../config/snapshot.js';
import { HealthRegistry } from '../health/health-registry.js';
import { RetryPolicy } from '../proxy/retry-policy.js';
import type { GraphResources } from './build-graph.js';
import { ServerRuntime, type BackendRuntime } from './graph.js';
import type { ResourceRegistry } from './resource-registry.js';
import { upstreamKey } from './upstream.js';

/** A backend's runtime and the long-lived resources it holds (so a later graph can reuse it whole). */
export interface BackendPart {
  readonly runtime: BackendRuntime;
  /** keys of the upstreams (pools) its servers use */
  readonly upstreamKeys: readonly string[];
  /** keys of its servers' health states; empty on the shadow side */
  readonly healthKeys: readonly string[];
}

/**
 * A backend's runtime. `primary` false is the shadow side of a tee: shadow servers have no health
 * state (the tee has its own breaker), and their traffic never counts in the primary's.
 */
export function buildBackend(config: BackendConfig, registry: ResourceRegistry, res: GraphResources, primary: boolean): BackendPart {
  const servers: ServerRuntime[] = [];
  const upstreamKeys: string[] = [];
  const healthKeys: string[] = [];
  for (const s of config.servers) {
    if (s.state === 'disabled') continue;
    const opts = { origin: s.url, connections: config.maxConnectionsPerServer, connectTimeoutMs: config.timeouts.connectMs };
    // A draining server keeps its pool (its in-flight requests finish, and it can come back warm)
    // but takes no new requests: only active servers go to the balancer.
    upstreamKeys.push(upstreamKey(opts));
    const upstream = registry.acquire(opts);
    if (s.state !== 'active') continue;
    const health = primary ? res.health.acquire(config, s, upstream) : undefined;
    if (primary) healthKeys.push(HealthRegistry.key(config.id, s.id, s.url));
    servers.push(new ServerRuntime(s, upstream, health));
  }
  const runtime: BackendRuntime = {
    id: config.id,
    config,
    servers,
    balancer: createBalancer(config.balancer, servers, config.hashKey === undefined ? {} : { hashKey: config.hashKey }),
    headersTimeoutMs: config.timeouts.headersMs,
    bodyTimeoutMs: config.timeouts.idleMs,
    retry: new RetryPolicy(config.retry, res.retryBudgets.acquire(config.id, config.retry.budgetPercent)),
  };
  return { runtime, upstreamKeys, healthKeys };
}
