import type { Logger } from 'pino';
import { EmbeddedStore } from './embedded-store.js';
import { EtcdStore } from './etcd-store.js';
import type { EtcdAuthOptions, EtcdTlsOptions } from './etcd-access.js';
import type { ConfigStore } from './types.js';

export type * from './types.js';
export * from './errors.js';
export { EtcdStore, type EtcdStoreOptions } from './etcd-store.js';
export { Secret, type EtcdAuthOptions, type EtcdTlsOptions } from './etcd-access.js';
export { EmbeddedStore, type EmbeddedStoreOptions } from './embedded-store.js';

export interface OpenStoreOptions {
  /** etcd endpoints (entries may also be comma-separated lists); when absent or empty the embedded store is used */
  readonly etcd?: readonly string[];
  readonly prefix: string;
  /** the embedded store's directory (ignored with etcd) */
  readonly dataDir: string;
  readonly logger?: Logger;
  /** etcd only: TLS to etcd (needs https:// endpoints) */
  readonly etcdTls?: EtcdTlsOptions;
  /** etcd only: an etcd user and its password */
  readonly etcdAuth?: EtcdAuthOptions;
}

/** The store options from a process's settings (`junction serve`'s flags, or JunctionOptions). */
export function storeOptionsFrom(
  src: { readonly etcd?: readonly string[] | undefined; readonly prefix: string; readonly dataDir: string; readonly etcdTls?: EtcdTlsOptions | undefined; readonly etcdAuth?: EtcdAuthOptions | undefined },
  logger: Logger,
): OpenStoreOptions {
  return {
    etcd: src.etcd ? [...src.etcd] : undefined,
    prefix: src.prefix,
    dataDir: src.dataDir,
    logger,
    ...(src.etcdTls === undefined ? {} : { etcdTls: src.etcdTls }),
    ...(src.etcdAuth === undefined ? {} : { etcdAuth: src.etcdAuth }),
  };
}

/** Opens the etcd store when endpoints are given, otherwise the embedded store under `dataDir`. */
export async function openStore(opts: OpenStoreOptions): Promise<ConfigStore> {
  const endpoints = (opts.etcd ?? [])
    .flatMap((e) => e.split(','))
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const logger = opts.logger === undefined ? {} : { logger: opts.logger };
  if (endpoints.length > 0) {
    const tls = opts.etcdTls === undefined ? {} : { tls: opts.etcdTls };
    const auth = opts.etcdAuth === undefined ? {} : { auth: opts.etcdAuth };
    return EtcdStore.open({ endpoints, prefix: opts.prefix, ...logger, ...tls, ...auth });
  }
  return EmbeddedStore.open({ dataDir: opts.dataDir, prefix: opts.prefix, ...logger });
}
