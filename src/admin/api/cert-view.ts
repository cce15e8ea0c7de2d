import { X509Certificate } from 'node:crypto';
import { leafFacts, pemBlocks } from '../../config/decode/cert-pem.js';
import type { CertConfig } from '../../config/snapshot.js';

/**
 * A certificate as the admin API shows it (docs/api.md, "Certificates"): what its leaf says —
 * never its key, nor its PEM. Fields the stored value does not give (a PEM that does not parse)
 * are null; its problems are in the item's `issues`.
 */
export interface CertView {
  readonly id: string;
  readonly sans: readonly string[] | null;
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly notBefore: string | null;
  readonly notAfter: string | null;
  readonly fingerprint256: string | null;
  readonly default: boolean;
}

/** The view of a stored CertSpec (a JSON value, whatever it holds). */
export function certView(id: string, value: unknown): CertView {
  const doc = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const isDefault = doc.default === true;
  const first = typeof doc.cert === 'string' ? pemBlocks(doc.cert).find((b) => b.label === 'CERTIFICATE') : undefined;
  let leaf: X509Certificate | undefined;
  try {
    leaf = first === undefined ? undefined : new X509Certificate(first.pem);
  } catch {
    leaf = undefined;
  }
  if (leaf === undefined) return { id, sans: null, subject: null, issuer: null, notBefore: null, notAfter: null, fingerprint256: null, default: isDefault };
  return { id, ...leafFacts(leaf), default: isDefault };
}

/** The same view of a certificate that is serving. */
export function servingView(c: CertConfig): CertView {
  return { id: c.id, sans: c.sans, subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, fingerprint256: c.fingerprint256, default: c.default };
}
