import type { FieldError } from '../config/issues.js';

/**
 * The filter types Junction can instantiate right now (built-in and user modules), and their
 * config validation. The config layer, the admin API and `junction validate` ask it; the filter
 * loader keeps it current as modules are added, changed or removed.
 */
export interface FilterCatalog {
  types(): ReadonlySet<string>;
  /** errors for `config` under the module's schema (fields relative to `config`), or an error on `type` when no such module is loaded */
  validate(type: string, config: unknown): FieldError[];
}
