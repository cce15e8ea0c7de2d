import { inspect } from 'node:util';
import type { IOptions } from 'etcd3';
import { InvalidRequestError } from './errors.js';

/**
 * A value that must never be printed: its JSON, `String()` and `util.inspect` forms are
 * `[redacted]`, so an options object that holds one can be logged whole without leaking it.
 * Only `reveal()` gives the value, at the one place that hands it to the etcd client.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

/** TLS to etcd (`--etcd-ca`, `--etcd-cert`, `--etcd-key`): PEM contents. */
export interface EtcdTlsOptions {
  /** the CA(s) to trust for etcd's server certificate; default: the system's CAs */
  readonly ca?: Buffer;
  /** a client certificate (leaf first, then its chain), for etcd's `--client-cert-auth`; needs `key` */
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** etcd's own users (`--etcd-user`, `--etcd-password-file`). */
export interface EtcdAuthOptions {
  readonly username: string;
  readonly password: Secret;
}

/**
 * The endpoints with their scheme (a bare `host:port` is `https://` when TLS options are given,
 * `http://` otherwise), checked for what etcd3 cannot do or would silently ignore: a mix of
 * `http://` and `https://` endpoints, and TLS options with `http://` endpoints.
 */
export function etcdEndpoints(endpoints: readonly string[], tls: EtcdTlsOptions | undefined): string[] {
  const withScheme = endpoints.map((e) => (/^https?:\/\//.test(e) ? e : `${tls === undefined ? 'http' : 'https'}://${e}`));
  const secure = withScheme.filter((e) => e.startsWith('https://')).length;
  if (secure > 0 && secure < withScheme.length) {
    throw new InvalidRequestError(`etcd endpoints mix http:// and https:// (${withScheme.join(',')}): give every member with the same scheme`);
  }
  if (tls !== undefined && secure === 0) {
    throw new InvalidRequestError(`TLS options for etcd need https:// endpoints, got ${withScheme.join(',')}`);
  }
  if ((tls?.cert === undefined) !== (tls?.key === undefined)) {
    throw new InvalidRequestError('an etcd client certificate needs its private key, and a key its certificate');
  }
  return withScheme;
}

/** The etcd3 client options for TLS and authentication. */
export function etcd3Security(tls: EtcdTlsOptions | undefined, auth: EtcdAuthOptions | undefined): Pick<IOptions, 'credentials' | 'auth'> {
  return {
    ...(tls === undefined
      ? {}
      : {
          credentials: {
            // etcd3 types the CA as required, but passes it straight to grpc's createSsl(), where
            // undefined means the system's CAs
            rootCertificate: tls.ca as Buffer,
            ...(tls.key === undefined ? {} : { privateKey: tls.key }),
            ...(tls.cert === undefined ? {} : { certChain: tls.cert }),
          },
        }),
    ...(auth === undefined ? {} : { auth: { username: auth.username, password: auth.password.reveal() } }),
  };
}
