import type { Balancer } from '../balancing/types.js';
import type { BackendConfig } from '../config/snapshot.js';
import type { ServerRuntime } from './server.js';

/** The kinds of upstream failure: the label of `junction_upstream_errors_total{kind}` and what `retry.on` names. */
export type UpstreamErrorKind = 'connect' | 'connect_timeout' | 'tls' | 'timeout' | 'reset' | 'protocol' | 'closed' | 'local' | 'other';

/** A backend's retry budget as forwarding uses it (`RetryBudget`, long-lived per backend). */
export interface RetryAllowance {
  onRequest(): void;
  /** whether one more retry fits the budget (does not consume it) */
  canRetry(): boolean;
  onRetry(): void;
}

/** A backend's retry rules as forwarding uses them (`RetryPolicy`, built once per configuration). */
export interface RetryRules {
  /** tries after the first, each on another server */
  readonly attempts: number;
  readonly budget: RetryAllowance;
  /** a failure before any response byte: is it retried? */
  retriesKind(kind: UpstreamErrorKind): boolean;
  retriesStatus(status: number): boolean;
}

export interface BackendRuntime {
  readonly id: string;
  readonly config: BackendConfig;
  /** servers in state `active`, the ones the balancer picks from */
  readonly servers: readonly ServerRuntime[];
  readonly balancer: Balancer<ServerRuntime>;
  /** per-request timeouts given to undici: the response head, and silence in the response body */
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** silence in a request body being uploaded before it is cut (`timeouts.bodyMs`) */
  readonly requestBodyTimeoutMs: number;
  /** how long a request may wait for a pooled connection before 503 (`timeouts.connectMs`, as HAProxy's `timeout queue`) */
  readonly queueTimeoutMs: number;
  readonly retry: RetryRules;
}
