import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate as the bench stores it (`P/certs/<id>` takes `cert`, `key`, `default`). */
export interface BenchCert {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint256: string;
}

/** Every name of the many-certificates set has this shape and length: `h` + 6 digits. */
export const NAME_PLACEHOLDER = 'h000000.bench.test';
/** the template's serial, replaced per leaf (8 bytes, positive) */
const SERIAL = Buffer.from('5eed5eed5eed5eed', 'hex');

/** `h000123.bench.test`: the name of certificate `i` of the many-certificates set. */
export function benchName(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i > 999_999) throw new Error(`benchName(${i}): expected 0..999999`);
  return `h${String(i).padStart(6, '0')}.bench.test`;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One DER element at `at`: where its content starts and where it ends. */
function element(der: Buffer, at: number): { start: number; contentStart: number; end: number } {
  let p = at + 1;
  const first = der[p++] ?? 0;
  let len = first;
  if (first & 0x80) {
    len = 0;
    for (let k = 0; k < (first & 0x7f); k++) len = len * 256 + (der[p++] ?? 0);
  }
  return { start: at, contentStart: p, end: p + len };
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

function opensslConfig(cn: string, san: string): string {
  return `[req]
distinguished_name = dn
x509_extensions = ext
prompt = no
[dn]
CN = ${cn}
[ext]
subjectAltName = ${san}
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
`;
}

/**
 * The bench's certificates, ECDSA P-256, valid from now for 30 days, made in `dir`:
 *
 * - `loadCert`: the certificate of the load runs (SANs `localhost`, `bench.test`, IP 127.0.0.1),
 *   minted by `openssl`, stored as Junction's `default` and given to nginx and Caddy as files;
 * - `leaf(name, serial)`: many self-signed leaves that share one key and differ in their name (and
 *   serial), fast: `openssl` mints one template whose name is `h000000.bench.test`; each leaf is that
 *   template's to-be-signed bytes with the name (every occurrence: subject, issuer, SAN) and the serial
 *   replaced in place — same lengths, so no DER is re-encoded but the outer SEQUENCE and the
 *   signature — signed again with node:crypto (~0.1 ms each: 10,000 in about a second, where one
 *   `openssl` process per leaf takes minutes). Junction checks a leaf like any: it parses, its key
 *   matches, it is within its validity; a single self-signed leaf has no chain to check.
 */
export class BenchCerts {
  readonly loadCert: BenchCert;
  readonly loadCertFile: string;
  readonly loadKeyFile: string;
  readonly #key: KeyObject;
  readonly #keyPem: string;
  readonly #tbs: Buffer;
  readonly #sigAlg: Buffer;
  readonly #nameAt: readonly number[];
  readonly #serialAt: number;

  constructor(readonly dir: string) {
    const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const mint = (base: string, cn: string, san: string) => {
      writeFileSync(join(dir, `${base}.cnf`), opensslConfig(cn, san));
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-config', `${base}.cnf`, '-keyout', `${base}.key`, '-out', `${base}.pem`, '-set_serial', `0x${SERIAL.toString('hex')}`]);
      return { cert: readFileSync(join(dir, `${base}.pem`), 'utf8'), key: readFileSync(join(dir, `${base}.key`), 'utf8') };
    };
    const load = mint('load', 'localhost', 'DNS:localhost,DNS:bench.test,IP:127.0.0.1');
    this.loadCert = { ...load, fingerprint256: new X509Certificate(load.cert).fingerprint256 };
    this.loadCertFile = join(dir, 'load.pem');
    this.loadKeyFile = join(dir, 'load.key');

    const tmpl = mint('template', NAME_PLACEHOLDER, `DNS:${NAME_PLACEHOLDER}`);
    this.#keyPem = tmpl.key;
    this.#key = createPrivateKey(tmpl.key);
    const der = new X509Certificate(tmpl.cert).raw;
    const outer = element(der, 0);
    const tbs = element(der, outer.contentStart);
    const sigAlg = element(der, tbs.end);
    this.#tbs = der.subarray(tbs.start, tbs.end);
    this.#sigAlg = der.subarray(sigAlg.start, sigAlg.end);
    const name = Buffer.from(NAME_PLACEHOLDER, 'latin1');
    const at: number[] = [];
    for (let i = this.#tbs.indexOf(name); i >= 0; i = this.#tbs.indexOf(name, i + 1)) at.push(i);
    this.#nameAt = at;
    this.#serialAt = this.#tbs.indexOf(SERIAL);
    if (at.length !== 3 || this.#serialAt < 0) throw new Error(`the template certificate has the name ${at.length} times (expected 3: subject, issuer, SAN) and the serial ${this.#serialAt < 0 ? 'not' : ''} in place`);
    // the first leaf made the fast way must verify with the key and be the key's certificate
    const check = new X509Certificate(this.leaf(benchName(1), 1).cert);
    if (!check.verify(createPublicKey(this.#key)) || !check.checkPrivateKey(this.#key) || check.subjectAltName !== `DNS:${benchName(1)}`) {
      throw new Error('a leaf made from the template does not verify');
    }
  }

  /** A self-signed leaf for `name` (the length of NAME_PLACEHOLDER) with the shared key; `serial` makes leaves of one name differ. */
  leaf(name: string, serial = 0): BenchCert {
    if (name.length !== NAME_PLACEHOLDER.length) throw new Error(`leaf(${name}): names must be ${NAME_PLACEHOLDER.length} characters, like ${NAME_PLACEHOLDER}`);
    const tbs = Buffer.from(this.#tbs);
    for (const at of this.#nameAt) tbs.write(name, at, 'latin1');
    const s = Buffer.alloc(8);
    s.writeBigUInt64BE(BigInt(serial) & 0x00ff_ffff_ffff_ffffn);
    s[0] = 0x5e; // positive, 8 bytes: the length does not change
    s.copy(tbs, this.#serialAt);
    const sig = sign('sha256', tbs, this.#key);
    const bits = Buffer.concat([Buffer.from([0x03]), derLength(sig.length + 1), Buffer.from([0x00]), sig]);
    const body = Buffer.concat([tbs, this.#sigAlg, bits]);
    const der = Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
    return { cert: toPem(der), key: this.#keyPem, fingerprint256: new X509Certificate(der).fingerprint256 };
  }
}

/** The CertSpec JSON of a bench certificate. */
export function certSpec(c: BenchCert, isDefault = false): { cert: string; key: string; default?: boolean } {
  return { cert: c.cert, key: c.key, ...(isDefault ? { default: true } : {}) };
}
