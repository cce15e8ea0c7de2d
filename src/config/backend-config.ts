import { BACKEND_DEFAULTS, resolveBreaker, resolveHealthCheck, resolveRetry, resolveTimeouts } from './defaults.js';
import type { BackendSpec, ServerSpec } from './schema/backend.js';
import type { BackendConfig, ServerConfig } from './snapshot.js';

/** A server as it serves: defaults applied, URL reduced to its origin. */
export function serverConfig(id: string, spec: ServerSpec, source: string): ServerConfig {
  return {
    id,
    url: normalizeOrigin(spec.url),
    weight: spec.weight ?? BACKEND_DEFAULTS.serverWeight,
    state: spec.state ?? 'active',
    source,
  };
}

function normalizeOrigin(url: string): string {
  return new URL(url).origin;
}

/** A backend with its defaults resolved and its inline servers merged with its `servers/` keys. */
export function backendConfig(
  id: string,
  key: string,
  modRevision: number,
  spec: BackendSpec,
  keyed: readonly ServerConfig[] | undefined,
): BackendConfig {
  const servers = new Map<string, ServerConfig>();
  for (const s of spec.servers ?? []) servers.set(s.id, serverConfig(s.id, s, 'inline'));
  for (const s of keyed ?? []) servers.set(s.id, s);
  return {
    id,
    key,
    modRevision,
    spec,
    balancer: spec.balancer ?? 'round-robin',
    hashKey: spec.hashKey,
    servers: [...servers.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    timeouts: resolveTimeouts(spec),
    maxConnectionsPerServer: spec.maxConnectionsPerServer ?? BACKEND_DEFAULTS.maxConnectionsPerServer,
    tls:
      spec.tls === undefined
        ? undefined
        : { ca: spec.tls.ca, serverName: spec.tls.serverName, verify: spec.tls.verify ?? true, clientCert: spec.tls.clientCert },
    healthCheck: resolveHealthCheck(spec),
    breaker: resolveBreaker(spec),
    retry: resolveRetry(spec),
  };
}
