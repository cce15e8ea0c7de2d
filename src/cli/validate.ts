import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createValidators } from '../config/decode/validators.js';
import { ID_RE } from '../config/schema/common.js';
import { checkPlan, docRef, type PlannedWrite } from '../admin/api/write-plan.js';
import type { FilterCatalog } from '../config/filter-catalog.js';
import { builtinFiltersDir } from '../filters/builtin-dir.js';
import { ModuleRegistry } from '../filters/module-registry.js';
import { readJsonFile } from './client/document-file.js';
import { CliError, ExitCode, usage } from './client/exit-codes.js';
import { reportCliError } from './client/run-client.js';

export const VALIDATE_HELP = `usage: junction validate FILE [--filters-dir DIR] [--json]

  Checks a whole configuration offline, as Junction and the admin API would: every document
  against its schema and rules, every route's backends and filters against the file, every
  FilterSpec against its module (the built-in filters, plus --filters-dir). FILE ("-" = stdin):

    { "routes":   { "<id>": RouteSpec, ... },
      "backends": { "<id>": BackendSpec, ... },
      "servers":  { "<backendId>": { "<serverId>": ServerSpec, ... }, ... },
      "filters":  { "<id>": FilterSpec, ... } }

  Every error is printed on its own line as KEY: FIELD: MESSAGE (KEY relative to the prefix).
  Exit 0 when valid, 1 with errors, 2 when FILE cannot be read or the flags are wrong.

  --filters-dir DIR   user filter modules to validate FilterSpecs against   JUNCTION_FILTERS_DIR
  --json              print {"valid": bool, "errors": [{"key","field","message"}]}
`;

export interface KeyedError {
  readonly key: string;
  readonly field: string;
  readonly message: string;
}

const SECTIONS = ['routes', 'backends', 'servers', 'filters'] as const;

/** Validates a configuration file's content; returns every error with its key and field. */
export function validateConfig(file: unknown, filters: FilterCatalog | undefined): { errors: KeyedError[]; counts: Record<string, number> } {
  const errors: KeyedError[] = [];
  const writes: PlannedWrite[] = [];
  const counts: Record<string, number> = { routes: 0, backends: 0, servers: 0, filters: 0 };
  if (file === null || typeof file !== 'object' || Array.isArray(file)) {
    return { errors: [{ key: '(file)', field: '(document)', message: 'must be an object {"routes":{...},"backends":{...},"servers":{...},"filters":{...}}' }], counts };
  }
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const add = (relKey: string, value: unknown) => {
    const ref = docRef('/p', relKey);
    if (typeof ref === 'string') return void errors.push({ key: relKey, field: '(key)', message: ref });
    writes.push({ op: 'put', ref, relKey, value, ifMatch: { kind: 'none' } });
  };
  for (const [section, content] of Object.entries(file)) {
    if (!(SECTIONS as readonly string[]).includes(section)) {
      errors.push({ key: '(file)', field: section, message: 'is not a known section (routes, backends, servers, filters)' });
      continue;
    }
    if (!isObject(content)) {
      errors.push({ key: '(file)', field: section, message: 'must be an object of id -> document' });
      continue;
    }
    for (const [id, value] of Object.entries(content)) {
      if (section !== 'servers') {
        counts[section] = (counts[section] ?? 0) + 1;
        add(`${section}/${id}`, value);
        continue;
      }
      if (!ID_RE.test(id)) {
        errors.push({ key: `servers/${id}`, field: '(key)', message: 'ids must match ^[a-z0-9][a-z0-9_.-]{0,62}$' });
        continue;
      }
      if (!isObject(value)) {
        errors.push({ key: `servers/${id}`, field: '(document)', message: 'must be an object of serverId -> ServerSpec' });
        continue;
      }
      for (const [sid, server] of Object.entries(value)) {
        counts.servers = (counts.servers ?? 0) + 1;
        add(`servers/${id}/${sid}`, server);
      }
    }
  }
  const { problems } = checkPlan(writes, new Map(), { validators: createValidators(), ...(filters ? { filters } : {}) });
  for (const p of problems) {
    const w = writes[p.index] as PlannedWrite;
    errors.push({ key: w.relKey, field: p.on === 'key' ? '(key)' : p.field, message: p.message });
  }
  return { errors, counts };
}

/** `junction validate FILE`: exit 0 valid, 1 invalid, 2 unreadable or bad flags. */
export async function runValidate(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    let values: { 'filters-dir'?: string; json?: boolean; help?: boolean };
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: [...argv],
        options: { 'filters-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      }));
    } catch (err) {
      throw usage(`${(err as Error).message.replace(/\. To specify.*$/s, '')} (see junction validate --help)`);
    }
    if (values.help) {
      process.stdout.write(VALIDATE_HELP);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) throw usage('validate FILE: give exactly one file (see junction validate --help)');
    const file = await readJsonFile(positionals[0] as string);
    const filtersDir = values['filters-dir'] ?? (env.JUNCTION_FILTERS_DIR || undefined);
    const validators = createValidators();
    const modules = new ModuleRegistry([builtinFiltersDir(), filtersDir], validators.ajv, pino({ level: 'silent' }));
    let result: ReturnType<typeof validateConfig>;
    try {
      await modules.scan();
      result = validateConfig(file, modules);
    } finally {
      modules.close();
    }
    const { errors, counts } = result;
    if (values.json) {
      process.stdout.write(JSON.stringify({ valid: errors.length === 0, errors, counts }, null, 2) + '\n');
      return errors.length === 0 ? ExitCode.ok : ExitCode.failed;
    }
    if (errors.length > 0) {
      for (const e of errors) process.stderr.write(`junction: ${e.key}: ${e.field}: ${e.message}\n`);
      process.stderr.write(`junction: ${positionals[0]} is invalid: ${errors.length} error${errors.length === 1 ? '' : 's'}\n`);
      return ExitCode.failed;
    }
    process.stdout.write(`${positionals[0]} is valid: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}\n`);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CliError) return reportCliError(err);
    throw err;
  }
}
