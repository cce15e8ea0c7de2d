import type { IncomingHttpHeaders } from 'node:http';
import type { RouteConfig } from '../config/snapshot.js';
import type { FilterChain } from '../filters/chain.js';
import type { RouteSeries } from '../observability/route-series.js';
import type { BackendRuntime } from './backend.js';
import type { Tees } from './tee.js';

/** The canary guard of one (route, backend) as the request path uses it (`GuardWindow`). */
export interface Guard {
  /** tripped guards take no new non-forced traffic */
  readonly tripped: boolean;
  /** one finished request to the backend */
  record(isError: boolean): void;
}

/** One backend a route can send to, with what is recorded per (route, backend). */
export interface RouteTarget {
  readonly backend: BackendRuntime;
  readonly series: RouteSeries;
  /** the canary guard of this (route, backend), when the route has one */
  readonly guard: Guard | undefined;
}

/** Where a chooser writes a decision's side effects (the Arrival). */
export interface ChoiceSink {
  /** a `Set-Cookie` value to add to the response (sticky canary cookie) */
  setCookie: string | undefined;
}

/** Picks the route's target for a request: the backend, or a split's arm. */
export interface TargetChooser {
  choose(headers: IncomingHttpHeaders, clientIp: string, sink: ChoiceSink): RouteTarget;
}

export interface RouteRuntime {
  readonly id: string;
  readonly config: RouteConfig;
  readonly chooser: TargetChooser;
  /** every target, by backend id */
  readonly targets: ReadonlyMap<string, RouteTarget>;
  /** the route's shadow copies, or undefined when it has none (most routes) */
  readonly tees: Tees | undefined;
  /** the route's filters, or undefined when it has none */
  readonly chain: FilterChain | undefined;
}
