import type { FieldError } from '../issues.js';
import type { AcmeSpec } from '../schema/acme.js';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * What the schema cannot say about an AcmeSpec: every name is a lower-case DNS name of at least two
 * labels that an HTTP-01 challenge can prove — no wildcard (only DNS-01 can prove those), no IP
 * address, no trailing dot.
 */
export function acmeRules(spec: AcmeSpec): FieldError[] {
  const errors: FieldError[] = [];
  spec.domains.forEach((name, i) => {
    const why = domainProblem(name);
    if (why !== undefined) errors.push({ field: `domains[${i}]`, message: why });
  });
  return errors;
}

function domainProblem(name: string): string | undefined {
  if (name.startsWith('*.')) return 'is a wildcard name: an HTTP-01 challenge cannot prove one (only DNS-01 can); list the names themselves';
  if (name !== name.toLowerCase()) return 'must be lower-case';
  if (/^[0-9.]+$/.test(name) || name.includes(':')) return 'is an IP address: ACME certificates here are for DNS names';
  if (name.endsWith('.')) return 'must not end with a dot';
  const labels = name.split('.');
  if (labels.length < 2) return 'must have at least two labels (a public CA issues no certificate for a single-label name)';
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) return `has the label ${JSON.stringify(bad)}: labels are 1-63 letters, digits and inner hyphens`;
  return undefined;
}
