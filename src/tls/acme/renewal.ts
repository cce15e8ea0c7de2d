import type { AcmeConfig, CertConfig } from '../../config/snapshot.js';

/** Why an AcmeSpec needs an order now: no certificate yet, its names changed, or it is due for renewal. */
export type OrderReason = 'missing' | 'names' | 'renewal';

/**
 * Whether `spec` needs an order: its certificate `P/certs/acme-<id>` is missing, does not cover
 * exactly the names asked for, or has less than a third of its lifetime left (SPEC §8: Let's
 * Encrypt's 90-day certificates renew with 30 days to go).
 */
export function orderReason(spec: AcmeConfig, cert: CertConfig | undefined, now: number): OrderReason | undefined {
  if (cert === undefined) return 'missing';
  if (!sameNames(spec.domains, cert.sans)) return 'names';
  return now >= renewAt(cert) ? 'renewal' : undefined;
}

/** When a certificate is due for renewal: two thirds into its lifetime. */
export function renewAt(cert: Pick<CertConfig, 'notBefore' | 'notAfter'>): number {
  const from = Date.parse(cert.notBefore);
  const to = Date.parse(cert.notAfter);
  return from + ((to - from) * 2) / 3;
}

function sameNames(wanted: readonly string[], sans: readonly string[]): boolean {
  const have = new Set(sans.map((s) => s.toLowerCase()));
  return wanted.length === have.size && wanted.every((d) => have.has(d));
}
