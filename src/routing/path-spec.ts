import { compilePathRegex, type PathPattern } from './path-pattern.js';
import { RoutingError } from './errors.js';
import type { RouteMatch } from './route-match.js';

/** The path condition of a route; the order of the values is the tie-break at equal length. */
export const PathKind = { any: 0, regex: 1, prefix: 2, exact: 3 } as const;
export type PathKind = (typeof PathKind)[keyof typeof PathKind];

export interface PathSpec {
  readonly kind: PathKind;
  /** the exact path, the prefix, or the regex source; '' for any path */
  readonly value: string;
  /** the compiled full-match regex for `regex` */
  readonly regex: PathPattern | undefined;
}

const ANY_PATH: PathSpec = Object.freeze({ kind: PathKind.any, value: '', regex: undefined });

/**
 * Reads the one path condition of a validated match. Throws `RoutingError` `invalid_match` when
 * more than one of path / pathPrefix / pathRegex is set, `invalid_regex` when the regex fails.
 */
export function parsePathSpec(match: RouteMatch): PathSpec {
  const { path, pathPrefix, pathRegex } = match;
  const count = (path !== undefined ? 1 : 0) + (pathPrefix !== undefined ? 1 : 0) + (pathRegex !== undefined ? 1 : 0);
  if (count > 1) {
    throw new RoutingError('invalid_match', 'match', 'at most one of path, pathPrefix, pathRegex');
  }
  if (path !== undefined) return { kind: PathKind.exact, value: path, regex: undefined };
  if (pathPrefix !== undefined) return { kind: PathKind.prefix, value: pathPrefix, regex: undefined };
  if (pathRegex !== undefined) return { kind: PathKind.regex, value: pathRegex, regex: compilePathRegex(pathRegex) };
  return ANY_PATH;
}
