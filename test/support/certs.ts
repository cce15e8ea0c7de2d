import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A certificate and its private key, PEM. `cert` is the leaf, then the chain when one was asked for. */
export interface Minted {
  readonly cert: string;
  readonly key: string;
  /** the leaf alone */
  readonly leaf: string;
}

export interface MintOptions {
  /** DNS names for the subjectAltName; none: no subjectAltName at all */
  readonly names?: readonly string[];
  /** the subject's CN (default: the first name, or "no-san") */
  readonly cn?: string;
  /** validity from now; a negative number gives a certificate that already expired (notAfter before now) */
  readonly days?: number;
  /** sign with this CA (its `leaf` and `key`) instead of self-signing; `cert` then ends with the CA */
  readonly issuer?: Minted;
  /** a CA certificate (basicConstraints CA:TRUE) */
  readonly ca?: boolean;
  /** an RSA key of this many bits instead of EC P-256 */
  readonly rsaBits?: number;
}

/**
 * Mints a certificate with the openssl command line (no ASN.1 by hand): an EC P-256 key (or RSA),
 * self-signed or signed by `issuer`, valid from now for `days`.
 */
export function mintCert(opts: MintOptions = {}): Minted {
  const dir = mkdtempSync(join(tmpdir(), 'junction-cert-'));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    if (opts.rsaBits !== undefined) ssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${opts.rsaBits}`, '-out', f('key.pem'));
    else ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', f('key.pem'));
    const names = opts.names ?? [];
    const cn = opts.cn ?? names[0] ?? 'no-san';
    const ext = [
      ...(names.length > 0 ? [`subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`] : []),
      opts.ca ? 'basicConstraints=critical,CA:TRUE' : 'basicConstraints=CA:FALSE',
      ...(opts.ca ? ['keyUsage=critical,keyCertSign,cRLSign'] : []),
    ];
    writeFileSync(f('ext.cnf'), ext.join('\n') + '\n');
    ssl('req', '-new', '-key', f('key.pem'), '-subj', `/CN=${cn}`, '-out', f('csr.pem'));
    const signer = opts.issuer
      ? (writeFileSync(f('ca.pem'), opts.issuer.leaf), writeFileSync(f('ca-key.pem'), opts.issuer.key), ['-CA', f('ca.pem'), '-CAkey', f('ca-key.pem')])
      : ['-key', f('key.pem')];
    ssl('x509', '-req', '-in', f('csr.pem'), ...signer, '-days', String(opts.days ?? 30), '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-extfile', f('ext.cnf'), '-out', f('cert.pem'));
    const leaf = readFileSync(f('cert.pem'), 'utf8');
    return { leaf, cert: opts.issuer ? leaf + opts.issuer.leaf : leaf, key: readFileSync(f('key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The base64 body of a PEM block (what must never appear anywhere a key could leak to). */
export function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}
