import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import type { FieldError } from '../issues.js';
import type { CertSpec } from '../schema/cert.js';
import { isKeyLabel, pemBlocks, validity } from './cert-pem.js';

/**
 * What JSON Schema cannot say about a CertSpec: that `cert` holds X.509 certificates in PEM, the
 * leaf first and each next one the issuer of the one before; that `key` holds one unencrypted
 * private key, and it is the leaf's; that the leaf is within its validity period at `now`; and
 * that TLS can sign with the key (RSA of at least 2048 bits, ECDSA on P-256, P-384 or P-521, EdDSA).
 *
 * No message ever quotes the PEM text: a key pasted into the wrong field must not travel on in an
 * error (the admin API's answer, the status document, a log line).
 */
export function certRules(spec: CertSpec, now: Date): FieldError[] {
  const certs: X509Certificate[] = [];
  const certBlocks = pemBlocks(spec.cert);
  if (certBlocks.some((b) => isKeyLabel(b.label))) {
    return [{ field: 'cert', message: 'holds a private key: put the key in "key", and only certificates in "cert"' }];
  }
  const other = certBlocks.find((b) => b.label !== 'CERTIFICATE');
  if (other !== undefined) return [{ field: 'cert', message: `holds a PEM block of type ${other.label}: only CERTIFICATE blocks belong here` }];
  if (certBlocks.length === 0) return [{ field: 'cert', message: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' }];
  for (const [i, b] of certBlocks.entries()) {
    try {
      certs.push(new X509Certificate(b.pem));
    } catch {
      return [{ field: 'cert', message: `does not parse: certificate ${i + 1}${i === 0 ? ' (the leaf)' : ''} is not valid X.509` }];
    }
  }
  const errors: FieldError[] = [];
  for (let i = 1; i < certs.length; i++) {
    if (!(certs[i - 1] as X509Certificate).checkIssued(certs[i] as X509Certificate)) {
      errors.push({ field: 'cert', message: `is out of order: certificate ${i + 1} did not issue certificate ${i} (put the leaf first, then the certificate that issued it, and so on)` });
      break;
    }
  }
  const leaf = certs[0] as X509Certificate;
  const { notBefore, notAfter } = validity(leaf);
  if (now.getTime() < notBefore.getTime()) {
    errors.push({ field: 'cert', message: `is not valid yet: the leaf's notBefore is ${notBefore.toISOString()} (now ${now.toISOString()})` });
  } else if (now.getTime() > notAfter.getTime()) {
    errors.push({ field: 'cert', message: `has expired: the leaf's notAfter is ${notAfter.toISOString()} (now ${now.toISOString()})` });
  }

  const key = privateKey(spec.key);
  if (typeof key === 'string') return [...errors, { field: 'key', message: key }];
  if (!leaf.checkPrivateKey(key)) return [...errors, { field: 'key', message: "does not match the leaf: it is not the private key of the first certificate in \"cert\"" }];
  if (errors.length > 0) return errors;
  const weak = tlsKeyProblem(key);
  return weak === undefined ? [] : [{ field: 'key', message: weak }];
}

const TLS_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/**
 * Whether TLS can sign handshakes with the key, checked from its details rather than by making a
 * TLS context (1.1 ms each: 11 s for 10,000 certificates at start-up). Anything this lets through
 * that OpenSSL still refuses is reported when the listener makes the context, at the first
 * handshake for the certificate (src/tls/cert-index.ts), and that handshake is refused.
 */
function tlsKeyProblem(key: KeyObject): string | undefined {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details?.modulusLength ?? 0;
    return bits < 2048 ? `is too weak for TLS: an RSA key of ${bits} bits (at least 2048; CAs issue none smaller)` : undefined;
  }
  if (type === 'ec') {
    const curve = details?.namedCurve ?? 'unknown';
    return TLS_CURVES.has(curve) ? undefined : `is on the curve ${curve}, which TLS clients do not accept (P-256, P-384 or P-521)`;
  }
  if (type === 'ed25519' || type === 'ed448') return undefined;
  return `is a ${type ?? 'unknown'} key, which cannot sign TLS handshakes (RSA, ECDSA or EdDSA)`;
}

/** The key object, or why there is none. */
function privateKey(text: string): KeyObject | string {
  const blocks = pemBlocks(text);
  const keys = blocks.filter((b) => isKeyLabel(b.label));
  if (keys.length === 0) return 'holds no private key in PEM (-----BEGIN ... -----)';
  if (keys.length > 1 || blocks.length > 1) return 'must hold exactly one PEM block: the private key of the leaf';
  const block = keys[0] as { label: string; pem: string };
  if (block.label.startsWith('ENCRYPTED')) return 'is encrypted: store it unencrypted (openssl pkey -in key.pem -out plain.pem)';
  try {
    return createPrivateKey(block.pem);
  } catch {
    return 'is not a private key Node can read (PKCS#8, or PKCS#1 RSA, or SEC1 EC; unencrypted)';
  }
}
