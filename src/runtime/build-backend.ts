import { createBalancer } from '../balancing/create-balancer.js';
import type { BackendConfig, CertConfig } from '../config/snapshot.js';
import type { BackendRuntime } from '../contracts/backend.js';
import { ServerRuntime } from '../contracts/server.js';
import type { LeaseScope } from '../lease/lease-scope.js';
import { RetryPolicy } from '../proxy/retry-policy.js';
import type { GraphResources } from './graph-resources.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { UpstreamTlsOptions } from './upstream.js';

/** A backend's runtime and the leases it holds (so a later graph can reuse it whole). */
export interface BackendPart {
  readonly runtime: BackendRuntime;
  /** its servers' pools (draining ones' too), their health states (primary side only), its retry budget */
  readonly leases: LeaseScope;
  /** the certificate its servers are shown (`tls.clientCert`), as it was when built: a new one rebuilds the part */
  readonly clientCert: CertConfig | undefined;
}

/**
 * A backend's runtime, its long-lived resources leased into `leases`. `primary` false is the shadow
 * side of a tee: shadow servers have no health state (the tee has its own breaker), and their
 * traffic never counts in the primary's.
 */
export function buildBackend(
  config: BackendConfig,
  clientCert: CertConfig | undefined,
  registry: ResourceRegistry,
  res: GraphResources,
  primary: boolean,
  leases: LeaseScope,
): BackendPart {
  const servers: ServerRuntime[] = [];
  for (const s of config.servers) {
    if (s.state === 'disabled') continue;
    // A draining server keeps its pool (its in-flight requests finish, and it can come back warm)
    // but takes no new requests: only active servers go to the balancer.
    const tls = s.url.startsWith('https:') ? upstreamTls(config.tls, clientCert) : undefined;
    const upstream = leases.hold(
      registry.acquire({ origin: s.url, connections: config.maxConnectionsPerServer, connectTimeoutMs: config.timeouts.connectMs, ...(tls === undefined ? {} : { tls }) }),
    );
    if (s.state !== 'active') continue;
    const health = primary ? leases.hold(res.health.acquire(config, s, upstream)) : undefined;
    servers.push(new ServerRuntime(s, upstream, health));
  }
  const runtime: BackendRuntime = {
    id: config.id,
    config,
    servers,
    balancer: createBalancer(config.balancer, servers, config.hashKey === undefined ? {} : { hashKey: config.hashKey }),
    headersTimeoutMs: config.timeouts.headersMs,
    bodyTimeoutMs: config.timeouts.idleMs,
    requestBodyTimeoutMs: config.timeouts.bodyMs,
    queueTimeoutMs: config.timeouts.connectMs,
    retry: new RetryPolicy(config.retry, leases.hold(res.retryBudgets.acquire(config.id, config.retry.budgetPercent))),
  };
  return { runtime, leases, clientCert };
}

/** undici's connect options for a backend's `tls` (undefined: undici's defaults), with its client certificate (mutual TLS). */
function upstreamTls(tls: BackendConfig['tls'], clientCert: CertConfig | undefined): UpstreamTlsOptions | undefined {
  if (tls === undefined) return undefined;
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
    ...(clientCert === undefined ? {} : { cert: clientCert.certPem, key: clientCert.keyPem }),
  };
}
