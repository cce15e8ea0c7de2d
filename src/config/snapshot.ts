import type {
  ResolvedBreaker,
  ResolvedHealthCheck,
  ResolvedRetry,
  ResolvedTimeouts,
} from './defaults.js';
import type { ConfigIssue } from './issues.js';
import type { BackendSpec, ServerState } from './schema/backend.js';
import type { FilterSpec } from './schema/filter.js';
import type { RouteSpec } from './schema/route.js';

/**
 * One applied configuration: immutable (deep-frozen), tagged with the store revision it reflects.
 * The runtime graph is built from it; the admin API and the status key report it.
 */
export interface ConfigSnapshot {
  readonly revision: number;
  /** ISO time it was built */
  readonly appliedAt: string;
  readonly routes: ReadonlyMap<string, RouteConfig>;
  readonly backends: ReadonlyMap<string, BackendConfig>;
  readonly filters: ReadonlyMap<string, FilterConfig>;
  /** every key that is not serving its latest value, and why */
  readonly issues: readonly ConfigIssue[];
}

export interface RouteConfig {
  readonly id: string;
  readonly key: string;
  /** the revision of the version that serves (an older one when the latest was rejected) */
  readonly modRevision: number;
  readonly spec: RouteSpec;
  readonly priority: number;
}

export interface ServerConfig {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly state: ServerState;
  /** `inline` from the BackendSpec, or the `servers/<backend>/<id>` key that defines it */
  readonly source: 'inline' | string;
}

export interface BackendConfig {
  readonly id: string;
  readonly key: string;
  readonly modRevision: number;
  readonly spec: BackendSpec;
  readonly balancer: NonNullable<BackendSpec['balancer']>;
  readonly hashKey: string | undefined;
  /** inline servers merged with `servers/<id>/*` keys (a key overrides an inline server of the same id), sorted by id */
  readonly servers: readonly ServerConfig[];
  readonly timeouts: ResolvedTimeouts;
  readonly maxConnectionsPerServer: number;
  /** TLS to `https://` servers (undefined: undici's defaults, the system CAs, verified) */
  readonly tls: UpstreamTls | undefined;
  readonly healthCheck: ResolvedHealthCheck | undefined;
  readonly breaker: ResolvedBreaker;
  readonly retry: ResolvedRetry;
}

/** A backend's `tls`, resolved: the CA PEMs, the name checked and sent as SNI, verification. */
export interface UpstreamTls {
  readonly ca: string | undefined;
  readonly serverName: string | undefined;
  readonly verify: boolean;
  /** `P/certs/<id>` presented to the servers (mutual TLS) */
  readonly clientCert: string | undefined;
}

export interface FilterConfig {
  readonly id: string;
  readonly key: string;
  readonly modRevision: number;
  readonly spec: FilterSpec;
}
