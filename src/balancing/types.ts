import type { IncomingHttpHeaders } from 'node:http';
import type { BackendSpec } from '../config/schema/backend.js';
import type { ServerLoad } from './server-load.js';

/** The balancer names of BackendSpec.balancer (docs/balancing.md). */
export const BALANCER_KINDS = ['round-robin', 'least-request', 'ewma', 'hash'] as const satisfies readonly NonNullable<
  BackendSpec['balancer']
>[];

export type BalancerKind = (typeof BALANCER_KINDS)[number];

/** Compiles only while BalancerKind and the config schema name the same balancers. */
export type BalancerKindMatchesSchema = [NonNullable<BackendSpec['balancer']>] extends [BalancerKind] ? true : never;

/** One upstream server as a balancer sees it. Built once per configuration snapshot. */
export interface Pickable {
  /** Server id, unique within its backend; the hash balancer hashes it, so it must be stable across snapshots. */
  readonly id: string;
  /** Relative weight; 0 (or anything not > 0) means never picked. */
  readonly weight: number;
  /** Long-lived live load, shared across snapshots (owned by the resource registry). */
  readonly load: ServerLoad;
  /** Dynamic health (active checks, passive detection, breaker); consulted at every pick. */
  isAvailable(): boolean;
}

export interface PickInput {
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  /** Ids of servers already tried for this request (retries); they are skipped. */
  readonly exclude?: ReadonlySet<string>;
}

export interface Balancer<S extends Pickable> {
  /** A pickable server, or undefined only when none is pickable. Synchronous and allocation-free. */
  pick(input: PickInput): S | undefined;
  readonly kind: BalancerKind;
}

export interface BalancerOptions {
  /** For `hash`: `header:NAME` | `cookie:NAME` | `ip`. Defaults to `ip` when absent. Ignored by the others. */
  readonly hashKey?: string;
  /** Uniform in [0, 1); injected so tests are deterministic. Defaults to Math.random. */
  readonly random?: () => number;
}
