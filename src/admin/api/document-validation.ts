import { validateDocument, type DocumentKind, type DocumentTypes } from '../../config/decode/decode-document.js';
import type { Validators } from '../../config/decode/validators.js';
import type { FieldError } from '../../config/issues.js';
import type { FilterSpec } from '../../config/schema/filter.js';
import type { FilterCatalog } from '../../config/filter-catalog.js';

export interface DocumentValidationDeps {
  readonly validators: Validators;
  /** the loaded filter modules; without one (offline) a FilterSpec's type and config are checked by schema only */
  readonly filters?: FilterCatalog;
}

export type Checked<K extends DocumentKind> =
  | { readonly ok: true; readonly doc: DocumentTypes[K] }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/**
 * Validates one document the way Junction will when it reads the key (schema and rules), plus, for
 * a FilterSpec, that its type is a loaded module and its `config` passes that module's schema.
 * Every error names its field, relative to the document.
 */
export function checkDocument<K extends DocumentKind>(kind: K, value: unknown, deps: DocumentValidationDeps): Checked<K> {
  const decoded = validateDocument(kind, value, deps.validators);
  if (!decoded.ok) return { ok: false, errors: decoded.errors };
  if (kind === 'filter' && deps.filters !== undefined) {
    const errors = filterModuleErrors(decoded.value as FilterSpec, deps.filters);
    if (errors.length > 0) return { ok: false, errors };
  }
  return { ok: true, doc: decoded.value };
}

function filterModuleErrors(spec: FilterSpec, catalog: FilterCatalog): FieldError[] {
  const loaded = catalog.types().has(spec.type);
  return catalog.validate(spec.type, spec.config).map((e) => {
    if (!loaded && e.field === 'type') return e;
    if (e.field === '' || e.field === '(document)') return { field: 'config', message: e.message };
    // the interface says "relative to config"; a catalog that already prefixes them is taken as it is
    if (e.field === 'config' || e.field.startsWith('config.') || e.field.startsWith('config[')) return e;
    return { field: e.field.startsWith('[') ? `config${e.field}` : `config.${e.field}`, message: e.message };
  });
}
