import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Ajv, ValidateFunction } from 'ajv';
import { FilterModuleError } from './errors.js';
import type { FilterModule } from './types.js';

const TYPE_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export interface LoadedModule {
  readonly type: string;
  readonly file: string;
  readonly module: FilterModule;
  /** the compiled config schema, when the module has one */
  readonly validate: ValidateFunction | undefined;
  /** changes whenever the file is re-imported: instances of an older version are replaced */
  readonly version: string;
}

/**
 * Imports a filter module file afresh: the URL carries the file's mtime and a sequence number, so
 * Node's ESM cache hands out a new module instance for every change (the old instance is no longer
 * referenced once its filter instances are closed). Validates the default export's shape and
 * compiles its schema. Throws FilterModuleError naming the file.
 */
export async function loadModule(file: string, ajv: Ajv, sequence: number): Promise<LoadedModule> {
  let mtime: number;
  try {
    mtime = (await stat(file)).mtimeMs;
  } catch (err) {
    throw new FilterModuleError(file, 'cannot be read', { cause: err });
  }
  const version = `${mtime}-${sequence}`;
  let ns: { default?: unknown };
  try {
    ns = (await import(`${pathToFileURL(file).href}?v=${version}`)) as { default?: unknown };
  } catch (err) {
    throw new FilterModuleError(file, `failed to import: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  const mod = ns.default as Partial<FilterModule> | undefined;
  if (mod === null || typeof mod !== 'object') throw new FilterModuleError(file, 'has no default export object');
  if (typeof mod.type !== 'string' || !TYPE_RE.test(mod.type)) {
    throw new FilterModuleError(file, 'its default export needs a `type` matching ^[a-z0-9][a-z0-9_.-]{0,62}$');
  }
  if (typeof mod.create !== 'function') throw new FilterModuleError(file, `type ${mod.type} has no create(config, ctx) function`);
  let validate: ValidateFunction | undefined;
  if (mod.schema !== undefined) {
    if (mod.schema === null || typeof mod.schema !== 'object') throw new FilterModuleError(file, '`schema` must be a JSON Schema object');
    try {
      validate = ajv.compile(mod.schema);
    } catch (err) {
      throw new FilterModuleError(file, `its schema does not compile: ${(err as Error).message}`, { cause: err });
    }
  }
  return { type: mod.type, file, module: mod as FilterModule, validate, version };
}
