import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Secret, type EtcdAuthOptions, type EtcdTlsOptions } from '../config/store/etcd-access.js';
import { UsageError } from './usage-error.js';

/** The `--etcd-*` flags of `junction serve` that secure the store connection (SPEC §9), as given. */
export interface EtcdFlags {
  readonly ca: string | undefined;
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly user: string | undefined;
  readonly passwordFile: string | undefined;
  /** JUNCTION_ETCD_PASSWORD (there is no flag: a password in argv shows in `ps`) */
  readonly passwordEnv: string | undefined;
}

export interface EtcdSecurity {
  readonly etcdTls: EtcdTlsOptions | undefined;
  readonly etcdAuth: EtcdAuthOptions | undefined;
}

/** The message for `--etcd-password`, which does not exist on purpose. */
export const NO_PASSWORD_FLAG =
  '--etcd-password: there is no such flag, on purpose (a password on the command line shows in ps): put it in a file (--etcd-password-file FILE) or in JUNCTION_ETCD_PASSWORD';

/**
 * Checks the combination and reads the files, so that a bad one exits 2 with one line at start
 * rather than failing every call to etcd later: a certificate without its key (or the reverse), a
 * key that does not match the certificate, an expired certificate, TLS options with plain http://
 * endpoints, a user without a password or a password without a user, an unreadable or empty file.
 * A message names files and flags, never the password.
 */
export function etcdSecurity(etcd: readonly string[] | undefined, f: EtcdFlags): EtcdSecurity {
  const given: Array<[string, unknown]> = [
    ['--etcd-ca', f.ca],
    ['--etcd-cert', f.cert],
    ['--etcd-key', f.key],
    ['--etcd-user', f.user],
    ['--etcd-password-file', f.passwordFile],
    ['JUNCTION_ETCD_PASSWORD', f.passwordEnv],
  ];
  if (etcd === undefined) {
    const first = given.find(([, v]) => v !== undefined);
    if (first) throw new UsageError(`${first[0]} needs --etcd: the embedded store has no connection to secure`);
    return { etcdTls: undefined, etcdAuth: undefined };
  }
  const secure = etcd.filter((e) => e.startsWith('https://')).length;
  if (secure > 0 && secure < etcd.length) throw new UsageError(`--etcd ${etcd.join(',')}: mixes http:// and https:// endpoints; give every member with the same scheme`);
  const tlsFlag = given.slice(0, 3).find(([, v]) => v !== undefined);
  if (tlsFlag && secure === 0) throw new UsageError(`${tlsFlag[0]} needs https:// endpoints, and --etcd ${etcd.join(',')} is plain http`);
  if (f.cert !== undefined && f.key === undefined) throw new UsageError('--etcd-cert needs --etcd-key, the private key of the client certificate');
  if (f.key !== undefined && f.cert === undefined) throw new UsageError('--etcd-key needs --etcd-cert, the client certificate of that key');

  let etcdTls: EtcdTlsOptions | undefined;
  if (tlsFlag) {
    const ca = f.ca === undefined ? undefined : readPem('--etcd-ca', f.ca);
    if (ca !== undefined) certificate('--etcd-ca', f.ca as string, ca);
    let cert: Buffer | undefined;
    let key: Buffer | undefined;
    if (f.cert !== undefined && f.key !== undefined) {
      cert = readPem('--etcd-cert', f.cert);
      key = readPem('--etcd-key', f.key);
      const leaf = certificate('--etcd-cert', f.cert, cert);
      let privateKey;
      try {
        privateKey = createPrivateKey(key);
      } catch {
        throw new UsageError(`--etcd-key ${f.key}: no PEM private key in it (an encrypted key is not supported)`);
      }
      if (!leaf.checkPrivateKey(privateKey)) throw new UsageError(`--etcd-key ${f.key} is not the private key of the certificate in --etcd-cert ${f.cert}`);
      if (Date.parse(leaf.validTo) < Date.now()) throw new UsageError(`--etcd-cert ${f.cert}: the certificate expired on ${new Date(leaf.validTo).toISOString()}`);
    }
    etcdTls = { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
  }

  if (f.passwordFile !== undefined && f.passwordEnv !== undefined) {
    throw new UsageError('the etcd password is given twice: use --etcd-password-file or JUNCTION_ETCD_PASSWORD, not both');
  }
  if (f.user === undefined) {
    if (f.passwordFile !== undefined) throw new UsageError('--etcd-password-file needs --etcd-user, the etcd user it is the password of');
    if (f.passwordEnv !== undefined) throw new UsageError('JUNCTION_ETCD_PASSWORD is set but --etcd-user is not: give the etcd user it is the password of');
    return { etcdTls, etcdAuth: undefined };
  }
  if (f.user.trim() === '' || f.user.trim() !== f.user) throw new UsageError(`--etcd-user ${JSON.stringify(f.user)}: expected an etcd user name`);
  let password: string;
  if (f.passwordFile !== undefined) {
    // a trailing newline is the file's, not the password's (`echo pw > file`, Kubernetes and Docker secrets)
    password = readText('--etcd-password-file', f.passwordFile).replace(/[\r\n]+$/, '');
    if (password === '') throw new UsageError(`--etcd-password-file ${f.passwordFile} is empty`);
  } else if (f.passwordEnv !== undefined) {
    password = f.passwordEnv;
  } else {
    throw new UsageError(`--etcd-user ${f.user} needs a password: --etcd-password-file FILE, or the environment variable JUNCTION_ETCD_PASSWORD`);
  }
  return { etcdTls, etcdAuth: { username: f.user, password: new Secret(password) } };
}

function readText(flag: string, path: string): string {
  return readFile(flag, path).toString('utf8');
}

function readFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`${flag} ${path}: cannot read it (${e.code ?? e.message})`);
  }
}

function readPem(flag: string, path: string): Buffer {
  const pem = readFile(flag, path);
  if (!pem.includes('-----BEGIN ')) throw new UsageError(`${flag} ${path}: not a PEM file`);
  return pem;
}

function certificate(flag: string, path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new UsageError(`${flag} ${path}: no PEM certificate in it`);
  }
}
