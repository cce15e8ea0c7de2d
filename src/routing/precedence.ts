/**
 * Route precedence, a total order (see docs/routing.md). Smaller sorts first = wins:
 *   1. higher `priority`
 *   2. longer host spec as written (`*.example.com` = 13, any host = 0); at equal length an
 *      exact host beats a wildcard
 *   3. longer path spec (length of `path` / `pathPrefix` / `pathRegex` source, none = 0); at
 *      equal length exact `path` > `pathPrefix` > `pathRegex`
 *   4. more header conditions
 *   5. a `methods` list beats none; a shorter list beats a longer one
 *   6. route id ascending (UTF-16 code units, not locale)
 *   7. input order (only reachable with duplicate ids, which configs never have)
 */
export interface PrecedenceKey {
  readonly id: string;
  readonly priority: number;
  readonly hostLength: number;
  readonly hostExact: boolean;
  readonly pathLength: number;
  /** PathKind: exact 3 > prefix 2 > regex 1 > any 0 */
  readonly pathKind: number;
  readonly headerCount: number;
  /** number of methods listed; 0 when the route takes any method */
  readonly methodCount: number;
  readonly order: number;
}

export function comparePrecedence(a: PrecedenceKey, b: PrecedenceKey): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.hostLength !== b.hostLength) return b.hostLength - a.hostLength;
  if (a.hostExact !== b.hostExact) return a.hostExact ? -1 : 1;
  if (a.pathLength !== b.pathLength) return b.pathLength - a.pathLength;
  if (a.pathKind !== b.pathKind) return b.pathKind - a.pathKind;
  if (a.headerCount !== b.headerCount) return b.headerCount - a.headerCount;
  if (a.methodCount !== b.methodCount) {
    if (a.methodCount === 0) return 1;
    if (b.methodCount === 0) return -1;
    return a.methodCount - b.methodCount;
  }
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.order - b.order;
}
