import type { FieldError } from './issues.js';

/**
 * The filter types Junction can instantiate right now (built-in and user modules), and their
 * config validation. The config layer, the admin API and `junction validate` ask it; the filter
 * loader (`ModuleRegistry` in filters/, which implements it) keeps it current as modules are added,
 * changed or removed. It is declared here, beside what asks it, so config never imports filters/.
 */
export interface FilterCatalog {
  types(): ReadonlySet<string>;
  /** errors for `config` under the module's schema (fields relative to `config`), or an error on `type` when no such module is loaded */
  validate(type: string, config: unknown): FieldError[];
  /**
   * true for a type whose module file was deleted: it is no longer offered to new filters, but
   * filters already serving with it keep their last version (and report the error)
   */
  retired(type: string): boolean;
}
