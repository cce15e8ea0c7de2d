import type { RouteRuntime, RouteTarget } from '../contracts/route.js';
import type { ServerRuntime } from '../contracts/server.js';
import type { FilterChain } from '../filters/chain.js';
import type { FilterRequest } from '../filters/filter-exchange.js';
import type { Arrival } from './arrival.js';

/** A route's filters as they ran on one request: their response phase runs for the first `ran`. */
export interface FilterRun {
  readonly chain: FilterChain;
  /** the request as the filters saw and changed it */
  readonly fx: FilterRequest;
  readonly ran: number;
}

/** A request admission let through: everything forwarding needs, decided. */
export interface Admitted {
  readonly arrival: Arrival;
  readonly route: RouteRuntime;
  /** the chosen backend (a split's arm, or the route's backend) with its series and guard */
  readonly target: RouteTarget;
  /** the server the backend's balancer picked for the first attempt */
  readonly server: ServerRuntime;
  /** the route's filters, when it has any */
  readonly filters: FilterRun | undefined;
  /** path and query as sent upstream */
  readonly path: string;
  /** the upstream request headers, by the header policy (hop-by-hop stripped, X-Forwarded-* set) */
  readonly headers: string[];
}

/** The only step that differs by protocol: taking an admitted request upstream and the answer back. */
export interface Forwarding {
  forward(admitted: Admitted): void;
}
