import { compilePathRegex } from '../../routing/path-pattern.js';
import type { RouteMatch } from '../../routing/route-match.js';
import type { FieldError } from '../issues.js';
import type { MatchSpec, RouteSpec } from '../schema/route.js';

/** A type that compiles only when `T` is `true`. */
type Holds<T extends true> = T;

/**
 * Compiles only while every valid `match` is something the router can take: routing declares the
 * RouteMatch it reads and imports nothing from config/, so the schema type is held to it here.
 */
export type MatchSpecFitsRouter = Holds<[MatchSpec] extends [RouteMatch] ? true : false>;

/** Rules JSON Schema cannot say well: one-of fields, regex syntax, duplicate split backends. */
export function routeRules(spec: RouteSpec): FieldError[] {
  const errors: FieldError[] = [];
  const hasBackend = spec.backend !== undefined;
  const hasSplit = spec.split !== undefined;
  if (hasBackend === hasSplit) {
    errors.push({ field: hasBackend ? 'split' : 'backend', message: 'exactly one of backend or split is required' });
  }
  const m = spec.match;
  if (m) {
    const kinds = (['pathPrefix', 'path', 'pathRegex'] as const).filter((k) => m[k] !== undefined);
    if (kinds.length > 1) {
      errors.push({ field: `match.${kinds[1]}`, message: `at most one of pathPrefix, path, pathRegex (also has ${kinds[0]})` });
    }
    if (m.pathRegex !== undefined) {
      try {
        compilePathRegex(m.pathRegex);
      } catch (err) {
        errors.push({ field: 'match.pathRegex', message: `is not a valid regular expression: ${(err as Error).message}` });
      }
    }
  }
  if (spec.split) {
    const seen = new Set<string>();
    let total = 0;
    spec.split.forEach((entry, i) => {
      if (seen.has(entry.backend)) errors.push({ field: `split[${i}].backend`, message: `names ${entry.backend} twice` });
      seen.add(entry.backend);
      total += entry.weight;
    });
    if (total === 0) errors.push({ field: 'split', message: 'weights sum to 0: at least one backend needs a weight' });
  }
  if ((spec.sticky || spec.force || spec.guard) && !spec.split) {
    const field = spec.sticky ? 'sticky' : spec.force ? 'force' : 'guard';
    errors.push({ field, message: 'only applies to a route with a split' });
  }
  return errors;
}

/** Every backend id a route refers to (its backend, its split, its tees). */
export function routeBackendRefs(spec: RouteSpec): string[] {
  const refs: string[] = [];
  if (spec.backend !== undefined) refs.push(spec.backend);
  for (const s of spec.split ?? []) refs.push(s.backend);
  for (const t of spec.tee ?? []) refs.push(t.backend);
  return refs;
}
