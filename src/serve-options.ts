import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { EtcdAuthOptions, EtcdTlsOptions } from './config/store/index.js';
import type { HostPort, JunctionOptions } from './junction.js';
import { AccessLog, type LineSink } from './observability/access-log.js';
import type { PathOptions } from './routing/normalize-path.js';
import type { AcmeServerOptions } from './tls/acme/acme-issuer.js';

/** What `junction serve`'s flags say (parsed and checked by src/cli/serve-options.ts). */
export interface ServeOptions {
  /** the plain listener (undefined: `--listen off`) */
  readonly listen: HostPort | undefined;
  readonly listenTls: HostPort | undefined;
  /** `--acme-directory`, `--acme-email`, `--acme-ca-file` (read) */
  readonly acme: AcmeServerOptions | undefined;
  readonly admin: HostPort;
  readonly etcd: readonly string[] | undefined;
  /** `--etcd-ca`, `--etcd-cert`, `--etcd-key`, read */
  readonly etcdTls: EtcdTlsOptions | undefined;
  /** `--etcd-user` and its password (`--etcd-password-file` or JUNCTION_ETCD_PASSWORD), read */
  readonly etcdAuth: EtcdAuthOptions | undefined;
  readonly prefix: string;
  readonly dataDir: string;
  readonly filtersDir: string | undefined;
  readonly adminToken: string | undefined;
  readonly instanceId: string;
  readonly workers: number;
  readonly demo: boolean;
  /** with --demo: use these three upstreams (stable, canary, shadow) instead of starting them in-process */
  readonly demoUpstreams: readonly string[] | undefined;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly accessLog: boolean;
  readonly shutdownTimeoutMs: number;
  readonly filterBudgetMs: number;
  readonly trustedProxies: readonly string[] | undefined;
  /** `--merge-slashes`, `--escaped-slashes` */
  readonly paths: PathOptions;
}

/**
 * The Junction options every process of `junction serve` starts with, from its flags: a single
 * process, and each `--workers` worker (which adds its own listener, store and status settings).
 */
export function junctionOptions(opts: ServeOptions, logger: Logger, sink: LineSink): JunctionOptions {
  return {
    listen: opts.listen,
    ...(opts.listenTls === undefined ? {} : { listenTls: opts.listenTls }),
    ...(opts.acme === undefined ? {} : { acme: opts.acme }),
    admin: opts.admin,
    etcd: opts.etcd,
    ...(opts.etcdTls === undefined ? {} : { etcdTls: opts.etcdTls }),
    ...(opts.etcdAuth === undefined ? {} : { etcdAuth: opts.etcdAuth }),
    prefix: opts.prefix,
    dataDir: opts.dataDir,
    adminToken: opts.adminToken,
    instanceId: opts.instanceId,
    logger,
    accessLog: opts.accessLog ? new AccessLog(sink) : undefined,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    filterBudgetMs: opts.filterBudgetMs,
    paths: opts.paths,
    ...(opts.trustedProxies === undefined ? {} : { trustedProxies: opts.trustedProxies }),
    ...(opts.filtersDir === undefined ? {} : { filtersDir: resolve(opts.filtersDir) }),
  };
}

