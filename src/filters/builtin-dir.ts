import { fileURLToPath } from 'node:url';

/** The project's `filters/` folder (built-in filter modules), from dist/src/filters/ at run time. */
export function builtinFiltersDir(): string {
  return fileURLToPath(new URL('../../../filters/', import.meta.url)).replace(/\/$/, '');
}
