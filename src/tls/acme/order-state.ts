/**
 * What the driving instance records about each AcmeSpec under `P/acme-state/orders/<id>`, so that
 * any instance can report it and the next driver (after a failover) keeps the same back-off.
 */
export interface OrderState {
  /** the names the record is about: a record for other names (the spec changed) starts afresh */
  readonly domains: readonly string[];
  readonly state: 'ordering' | 'issued' | 'failed';
  /** the instance that made the last attempt */
  readonly instance: string;
  /** ISO time of the last attempt (or, for `issued`, when the certificate was written) */
  readonly at: string;
  /** failed attempts in a row */
  readonly failures: number;
  readonly lastError?: string;
  /** ISO time before which a failed spec is not tried again */
  readonly nextAttemptAt?: string;
  /** the SHA-256 fingerprint of the certificate written (`issued`) */
  readonly fingerprint256?: string;
}

/** A stored OrderState, or undefined when absent or unreadable (then the spec starts afresh). */
export function parseOrderState(value: string | undefined): OrderState | undefined {
  if (value === undefined) return undefined;
  try {
    const v = JSON.parse(value) as Partial<OrderState>;
    if (!Array.isArray(v.domains) || typeof v.state !== 'string' || typeof v.at !== 'string' || typeof v.failures !== 'number') return undefined;
    return v as OrderState;
  } catch {
    return undefined;
  }
}

/** Whether a record is about exactly these names. */
export function sameDomains(state: OrderState | undefined, domains: readonly string[]): state is OrderState {
  return state !== undefined && state.domains.length === domains.length && state.domains.every((d, i) => d === domains[i]);
}

/**
 * How long after its `failures`-th failure in a row a spec waits: `minMs` doubling, at most `maxMs`
 * (1 min, 2, 4, … 6 h by default — Let's Encrypt allows 5 failed validations per name per hour).
 */
export function retryDelayMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}
