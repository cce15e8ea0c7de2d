import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Minted {
  /** PEM: the leaf, then the CA */
  readonly cert: string;
  readonly key: string;
}

/**
 * A throwaway certificate authority made with `openssl` in a temp dir, for tests: `issue()`
 * signs a leaf for the given DNS names (and 127.0.0.1), valid from now for `days`.
 */
export class TestCa {
  readonly #dir: string;
  readonly cert: string;

  constructor(name = 'Junction Test CA') {
    this.#dir = mkdtempSync(join(tmpdir(), 'junction-ca-'));
    this.#openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', `/CN=${name}`]);
    this.cert = readFileSync(join(this.#dir, 'ca.pem'), 'utf8');
  }

  issue(names: readonly string[], days = 10): Minted {
    const id = `leaf-${Math.random().toString(36).slice(2)}`;
    const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
    writeFileSync(join(this.#dir, `${id}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n`);
    this.#openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${names[0] ?? 'localhost'}`]);
    this.#openssl(['x509', '-req', '-in', `${id}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${id}.pem`, '-extfile', `${id}.ext`, '-days', String(days)]);
    return { cert: readFileSync(join(this.#dir, `${id}.pem`), 'utf8') + this.cert, key: readFileSync(join(this.#dir, `${id}.key`), 'utf8') };
  }

  dispose(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.#dir, stdio: 'pipe' });
  }
}
