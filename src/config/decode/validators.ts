import { Ajv, type ValidateFunction } from 'ajv';
import { isLinearRegex } from '../../routing/path-pattern.js';
import { BackendSpecSchema, ServerSpecSchema, type BackendSpec, type ServerSpec } from '../schema/backend.js';
import { AcmeSpecSchema, type AcmeSpec } from '../schema/acme.js';
import { CertSpecSchema, type CertSpec } from '../schema/cert.js';
import { FilterSpecSchema, type FilterSpec } from '../schema/filter.js';
import { RouteSpecSchema, type RouteSpec } from '../schema/route.js';

/**
 * The compiled JSON Schema validators for every document kind. One ajv instance validates both the
 * etcd documents (schemas written with TypeBox) and the filter modules' own config schemas.
 * Built once per process by `createValidators()` and passed to whoever needs them.
 */
export interface Validators {
  readonly ajv: Ajv;
  readonly route: ValidateFunction<RouteSpec>;
  readonly backend: ValidateFunction<BackendSpec>;
  readonly server: ValidateFunction<ServerSpec>;
  readonly filter: ValidateFunction<FilterSpec>;
  readonly cert: ValidateFunction<CertSpec>;
  readonly acme: ValidateFunction<AcmeSpec>;
}

export function createValidators(): Validators {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  // `"format": "re2"`: a regular expression RE2 (linear-time matching) takes, for filter schemas
  ajv.addFormat('re2', { type: 'string', validate: isLinearRegex });
  return {
    ajv,
    route: ajv.compile<RouteSpec>(RouteSpecSchema),
    backend: ajv.compile<BackendSpec>(BackendSpecSchema),
    server: ajv.compile<ServerSpec>(ServerSpecSchema),
    filter: ajv.compile<FilterSpec>(FilterSpecSchema),
    cert: ajv.compile<CertSpec>(CertSpecSchema),
    acme: ajv.compile<AcmeSpec>(AcmeSpecSchema),
  };
}
