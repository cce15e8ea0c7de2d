/**
 * A throw-away PKI for tests, minted with `openssl` into a temp dir: a CA, a server certificate
 * for 127.0.0.1 and localhost, and client certificates by name (their CN). Files only (PEM), as
 * an operator would have them; `cleanup()` removes the dir.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertFiles } from './etcd.js';

export type { CertFiles };

export interface Pki {
  readonly dir: string;
  /** the CA certificate (PEM file) */
  readonly ca: string;
  /** a server certificate signed by the CA, for IP 127.0.0.1 and DNS localhost */
  readonly server: CertFiles;
  /** a client certificate signed by the CA, with `cn` as its subject's CN, valid `days` (0: expires at once) */
  client(cn: string, days?: number): Promise<CertFiles>;
  cleanup(): Promise<void>;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd, timeout: 20_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function signed(dir: string, name: string, cn: string, ext: string, days = 2): Promise<CertFiles> {
  await openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  await writeFile(join(dir, `${name}.ext`), ext);
  await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', String(days), '-extfile', `${name}.ext`], dir);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

export async function mintPki(name = 'test'): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), `junction-pki-${name}-`));
  await openssl(['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name} test CA`], dir);
  const server = await signed(dir, 'server', 'etcd', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  let n = 0;
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    server,
    client: (cn: string, days?: number) => signed(dir, `client-${++n}`, cn, 'extendedKeyUsage=clientAuth\n', days),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
