import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

/** How long before it expires a demo certificate is made anew. */
const RENEW_WITHIN_MS = 30 * 86_400_000;

/**
 * A self-signed certificate for `localhost` (and 127.0.0.1, ::1) for the demo's TLS listener,
 * made with the `selfsigned` library (ECDSA P-256, SHA-256, a year), as a CertSpec marked
 * `default`. `existing`: the demo certificate already in the store, kept while it has more than 30
 * days left, so restarts do not churn it.
 */
export async function demoCertSpec(existing: string | undefined, now = Date.now()): Promise<string | undefined> {
  if (existing !== undefined && stillGood(existing, now)) return undefined;
  const notBeforeDate = new Date(now - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(now + 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return JSON.stringify({ cert: pems.cert, key: pems.private, default: true });
}

function stillGood(value: string, now: number): boolean {
  try {
    const spec = JSON.parse(value) as { cert?: unknown };
    if (typeof spec.cert !== 'string') return false;
    return Date.parse(new X509Certificate(spec.cert).validTo) - now > RENEW_WITHIN_MS;
  } catch {
    return false;
  }
}
