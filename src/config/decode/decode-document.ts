import type { FieldError } from '../issues.js';
import type { BackendSpec, ServerSpec } from '../schema/backend.js';
import type { AcmeSpec } from '../schema/acme.js';
import type { CertSpec } from '../schema/cert.js';
import type { FilterSpec } from '../schema/filter.js';
import type { RouteSpec } from '../schema/route.js';
import { jsonSyntaxReason, toFieldErrors } from './ajv-errors.js';
import { acmeRules } from './acme-rules.js';
import { backendRules, serverUrlError } from './backend-rules.js';
import { certRules } from './cert-rules.js';
import { routeRules } from './route-rules.js';
import type { Validators } from './validators.js';

export type DocumentKind = 'route' | 'backend' | 'server' | 'filter' | 'cert' | 'acme';

export interface DocumentTypes {
  route: RouteSpec;
  backend: BackendSpec;
  server: ServerSpec;
  filter: FilterSpec;
  cert: CertSpec;
  acme: AcmeSpec;
}

export type Decoded<K extends DocumentKind> =
  | { readonly ok: true; readonly value: DocumentTypes[K] }
  | { readonly ok: false; readonly json: boolean; readonly errors: readonly FieldError[] };

/** The clock a document is checked against (a certificate's validity period); the real one by default. */
export type Clock = () => Date;

const realClock: Clock = () => new Date();

/**
 * Parses and validates one stored value. Never throws: whatever etcd holds, the answer is either
 * a valid document or a list of errors, each naming its field. `json: false` means the value was
 * not JSON at all.
 */
export function decodeDocument<K extends DocumentKind>(kind: K, raw: string, validators: Validators, now: Clock = realClock): Decoded<K> {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (err) {
    return { ok: false, json: false, errors: [{ field: '(document)', message: `is not valid JSON: ${jsonSyntaxReason(err)}` }] };
  }
  return validateDocument(kind, doc, validators, now);
}

/** Validates an already-parsed document (the REST API and `junction validate` use this too). */
export function validateDocument<K extends DocumentKind>(kind: K, doc: unknown, validators: Validators, now: Clock = realClock): Decoded<K> {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { ok: false, json: true, errors: [{ field: '(document)', message: 'must be a JSON object' }] };
  }
  const validate = validators[kind];
  if (!validate(doc)) return { ok: false, json: true, errors: toFieldErrors(validate.errors) };
  const errors = rules(kind, doc as DocumentTypes[K], now);
  if (errors.length > 0) return { ok: false, json: true, errors };
  return { ok: true, value: doc as DocumentTypes[K] };
}

function rules(kind: DocumentKind, doc: DocumentTypes[DocumentKind], now: Clock): FieldError[] {
  switch (kind) {
    case 'route':
      return routeRules(doc as RouteSpec);
    case 'backend':
      return backendRules(doc as BackendSpec);
    case 'server': {
      const urlError = serverUrlError((doc as ServerSpec).url);
      return urlError ? [{ field: 'url', message: urlError }] : [];
    }
    case 'filter':
      return [];
    case 'cert':
      return certRules(doc as CertSpec, now());
    case 'acme':
      return acmeRules(doc as AcmeSpec);
  }
}
