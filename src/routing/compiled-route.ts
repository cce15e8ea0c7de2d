import type { RouteCandidate } from './route-candidate.js';
import type { RequestView } from './request-view.js';
import type { PrecedenceKey } from './precedence.js';
import type { HostSpec } from './host-spec.js';
import type { PathSpec } from './path-spec.js';
import type { PathPattern } from './path-pattern.js';
import { HostKind, parseHostSpec } from './host-spec.js';
import { PathKind, parsePathSpec } from './path-spec.js';
import { headersMatch, methodAllowed } from './conditions.js';

/** Shared by every route without header conditions (one hot object instead of thousands). */
const NONE: readonly string[] = Object.freeze([]);

/**
 * A route's match, pre-digested once at build time into flat fields (one object per route on the
 * hot path). Immutable after construction.
 */
export class CompiledRoute<T> {
  readonly candidate: RouteCandidate<T>;
  /**
   * position in the precedence order of the whole index: lower wins. Only compared, never
   * counted: ranks are spaced out so a patched index can slot a route in between two others.
   */
  readonly rank: number;
  /** what the route was compiled from (a patched index re-uses it for a route whose match is unchanged) */
  readonly parsed: ParsedRoute<T>;
  readonly host: HostSpec;
  readonly pathKind: PathKind;
  /** the exact path, the prefix, or the regex source; '' for any path */
  readonly pathValue: string;
  private readonly regex: PathPattern | undefined;
  private readonly methods: readonly string[] | undefined;
  private readonly headerNames: readonly string[];
  private readonly headerValues: readonly string[];

  constructor(parsed: ParsedRoute<T>, rank: number) {
    this.candidate = parsed.candidate;
    this.rank = rank;
    this.parsed = parsed;
    this.host = parsed.host;
    this.pathKind = parsed.path.kind;
    this.pathValue = parsed.path.value;
    this.regex = parsed.path.regex;
    const { methods, headers } = parsed.candidate.match;
    this.methods = methods === undefined ? undefined : Object.freeze([...methods]);
    const names = headers === undefined ? [] : Object.keys(headers);
    this.headerNames = names.length === 0 ? NONE : Object.freeze(names.map((n) => n.toLowerCase()));
    this.headerValues = names.length === 0 ? NONE : Object.freeze(names.map((n) => headers![n]!));
    Object.freeze(this);
  }

  /** The path condition alone (used where no index structure has checked it). */
  matchesPath(path: string): boolean {
    switch (this.pathKind) {
      case PathKind.exact:
        return path === this.pathValue;
      case PathKind.prefix:
        return path.startsWith(this.pathValue);
      case PathKind.regex:
        return this.regex!.test(path);
      default:
        return true;
    }
  }

  /**
   * Methods, then the regex (regex routes: the index never checks them), then headers.
   * Host and literal paths were matched by the index. No allocation.
   */
  accepts(req: RequestView): boolean {
    if (!methodAllowed(this.methods, req.method)) return false;
    if (this.regex !== undefined && !this.regex.test(req.path)) return false;
    return headersMatch(this.headerNames, this.headerValues, req.headers);
  }
}

/** A candidate with its host and path parsed and its precedence key, before ranking. */
export interface ParsedRoute<T> {
  readonly candidate: RouteCandidate<T>;
  readonly host: HostSpec;
  readonly path: PathSpec;
  readonly key: PrecedenceKey;
}

export function parseRoute<T>(candidate: RouteCandidate<T>, order: number): ParsedRoute<T> {
  const host = parseHostSpec(candidate.match.host);
  const path = parsePathSpec(candidate.match);
  const { methods, headers } = candidate.match;
  const key: PrecedenceKey = {
    id: candidate.id,
    priority: candidate.priority,
    hostLength: host.length,
    hostExact: host.kind === HostKind.exact,
    pathLength: path.value.length,
    pathKind: path.kind,
    headerCount: headers === undefined ? 0 : Object.keys(headers).length,
    methodCount: methods === undefined ? 0 : methods.length,
    order,
  };
  return { candidate, host, path, key };
}

/**
 * The best route of `list` (sorted by rank) that accepts `req` and beats `best`, else `best`.
 * Stops at the first route ranked no better than `best`.
 */
export function firstAccepting<T>(
  list: readonly CompiledRoute<T>[],
  req: RequestView,
  best: CompiledRoute<T> | undefined,
): CompiledRoute<T> | undefined {
  for (let i = 0; i < list.length; i++) {
    const route = list[i]!;
    if (best !== undefined && route.rank >= best.rank) return best;
    if (route.accepts(req)) return route;
  }
  return best;
}

/** Like `firstAccepting`, also checking each route's path: for small unindexed lists. */
export function firstMatching<T>(
  list: readonly CompiledRoute<T>[],
  req: RequestView,
  best: CompiledRoute<T> | undefined,
): CompiledRoute<T> | undefined {
  const path = req.path;
  for (let i = 0; i < list.length; i++) {
    const route = list[i]!;
    if (best !== undefined && route.rank >= best.rank) return best;
    if (route.pathKind !== PathKind.regex && !route.matchesPath(path)) continue;
    if (route.accepts(req)) return route;
  }
  return best;
}
