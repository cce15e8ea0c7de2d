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
  /** the certificates the TLS listener serves by SNI; the same map object as the previous snapshot's while no certificate changed */
  readonly certs: ReadonlyMap<string, CertConfig>;
  /** the names to get certificates for from the ACME server (`P/acme/<id>`); the same map object as the previous snapshot's while none changed */
  readonly acme: ReadonlyMap<string, AcmeConfig>;
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

/** `P/acme/<id>`: its certificate goes to `P/certs/acme-<id>` (`certId`). */
export interface AcmeConfig {
  readonly id: string;
  readonly key: string;
  readonly modRevision: number;
  readonly certId: string;
  /** as written, lower-case DNS names, the first the subject */
  readonly domains: readonly string[];
}

export interface FilterConfig {
  readonly id: string;
  readonly key: string;
  readonly modRevision: number;
  readonly spec: FilterSpec;
}

/**
 * A certificate as it serves (`P/certs/<id>`, docs/tls.md): what its leaf says, and the PEMs.
 * `keyPem` is not enumerable: `JSON.stringify`, a spread, a logger or `Object.keys` never see the
 * private key; read it by name, only to make a TLS context.
 */
export interface CertConfig {
  readonly id: string;
  /** the store key, `/junction/certs/<id>` */
  readonly key: string;
  readonly modRevision: number;
  /** the DNS names of the leaf's subjectAltName, as written there (none without one) */
  readonly sans: readonly string[];
  /** the leaf's subject and issuer, one line (`C=US, O=Example, CN=Example CA`) */
  readonly subject: string;
  readonly issuer: string;
  /** the leaf's validity period, ISO times */
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the leaf, colon-separated upper-case hex as `openssl x509 -fingerprint -sha256` prints it */
  readonly fingerprint256: string;
  /** served when no SAN covers the name asked for (or none was asked for) */
  readonly default: boolean;
  /** the leaf, then its chain, as stored */
  readonly certPem: string;
  /** the leaf's private key (not enumerable) */
  readonly keyPem: string;
}
