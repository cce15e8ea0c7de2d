import type { RouteMatch } from './route-match.js';

/**
 * One route as the router sees it: the validated `match`, its `priority` (0 when the spec has
 * none) and an opaque `value` (the runtime route object) handed back by `RouteIndex.match`.
 * Ids are unique within one index (they come from the etcd key); the last tie-break uses them.
 */
export interface RouteCandidate<T> {
  readonly id: string;
  readonly match: RouteMatch;
  readonly priority: number;
  readonly value: T;
}
