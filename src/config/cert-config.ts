import { X509Certificate } from 'node:crypto';
import { leafFacts, pemBlocks } from './decode/cert-pem.js';
import type { CertSpec } from './schema/cert.js';
import type { CertConfig } from './snapshot.js';

/**
 * A certificate as it serves, from a CertSpec that passed `certRules` (so its leaf parses). The
 * private key is a non-enumerable property: nothing that walks or serializes the snapshot sees it.
 */
export function certConfig(id: string, key: string, modRevision: number, spec: CertSpec): CertConfig {
  const leaf = new X509Certificate((pemBlocks(spec.cert)[0] as { pem: string }).pem);
  const config: Omit<CertConfig, 'keyPem'> = {
    id,
    key,
    modRevision,
    ...leafFacts(leaf),
    default: spec.default ?? false,
    certPem: spec.cert,
  };
  return Object.defineProperty(config, 'keyPem', { value: spec.key, enumerable: false }) as CertConfig;
}
