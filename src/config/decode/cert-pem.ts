import { X509Certificate } from 'node:crypto';

/** One `-----BEGIN <label>----- ... -----END <label>-----` block of a PEM text. */
export interface PemBlock {
  readonly label: string;
  readonly pem: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,64})-----[\s\S]*?-----END \1-----/g;

/**
 * The PEM blocks of a text, in order. Text around them (the `subject=` lines some tools print,
 * `Bag Attributes`) is ignored, as OpenSSL ignores it.
 */
export function pemBlocks(text: string): PemBlock[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1] as string, pem: `${m[0]}\n` }));
}

/** Is this the label of a private key block (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`)? */
export function isKeyLabel(label: string): boolean {
  return label.endsWith('PRIVATE KEY');
}

/**
 * The DNS names of a certificate's subjectAltName, as Node prints it (`DNS:a.example.com, DNS:*.example.com,
 * IP Address:192.0.2.1`; a value with a comma, quote or backslash comes quoted, with `\` escapes).
 * Other kinds of names are left out; no subjectAltName gives none.
 */
export function dnsNames(cert: X509Certificate): string[] {
  const text = cert.subjectAltName;
  if (text === undefined || text === '') return [];
  const names: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let j = colon + 1;
    let value = '';
    if (text[j] === '"') {
      for (j++; j < text.length && text[j] !== '"'; j++) value += text[j] === '\\' ? (text[++j] ?? '') : text[j];
      j++;
    } else {
      const end = text.indexOf(', ', j);
      value = text.slice(j, end < 0 ? text.length : end);
      j = end < 0 ? text.length : end;
    }
    if (type === 'DNS') names.push(value);
    i = j + 2; // past ", "
  }
  return names;
}

/** notBefore and notAfter of a certificate, as Dates. */
export function validity(cert: X509Certificate): { notBefore: Date; notAfter: Date } {
  // validFromDate/validToDate exist from Node 22.10; Node 20 has the text form only ("Jan  1 00:00:00 2027 GMT")
  const c = cert as X509Certificate & { validFromDate?: Date; validToDate?: Date };
  return { notBefore: c.validFromDate ?? new Date(cert.validFrom), notAfter: c.validToDate ?? new Date(cert.validTo) };
}

/** What a leaf says, as the status, the API and the SNI index show it. */
export interface LeafFacts {
  /** the DNS names of its subjectAltName */
  readonly sans: string[];
  /** subject and issuer, one line each */
  readonly subject: string;
  readonly issuer: string;
  /** ISO times */
  readonly notBefore: string;
  readonly notAfter: string;
  /** colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it */
  readonly fingerprint256: string;
}

export function leafFacts(leaf: X509Certificate): LeafFacts {
  const { notBefore, notAfter } = validity(leaf);
  return {
    sans: dnsNames(leaf),
    subject: oneLineName(leaf.subject),
    issuer: oneLineName(leaf.issuer),
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    fingerprint256: leaf.fingerprint256,
  };
}

/** `C=US, O=Let's Encrypt, CN=R3`: one-line form of Node's multi-line distinguished name. */
export function oneLineName(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}
