import { GRPCUnavailableError, isRecoverableError, type IOptions } from 'etcd3';

/**
 * Fault-handling policies handed to etcd3 in place of its cockatiel defaults. etcd3 only ever
 * calls `execute` on them; the other members of cockatiel's IPolicy are never used.
 */
type FaultHandling = NonNullable<IOptions['faultHandling']>;
type HostPolicy = ReturnType<NonNullable<FaultHandling['host']>>;
type GlobalPolicy = NonNullable<FaultHandling['global']>;

/** Thrown instead of calling a host whose breaker is open; etcd3 then tries the next host. */
class HostBreakerOpenError extends Error {
  /** the marker etcd3 (through cockatiel's isBrokenCircuitError) looks for */
  readonly isBrokenCircuitError = true;
  constructor(host: string) {
    super(`etcd host ${host} is failing; skipped until its breaker half-opens`);
  }
}

/**
 * The per-host policy handed to etcd3: after `threshold` consecutive connectivity failures the
 * host is skipped (so calls go to the other endpoints at once) until `halfOpenAfterMs` passed,
 * then one trial call decides. etcd3's default breaker waits 5 s before that trial, which keeps
 * every call (and the health probe) failing for up to 5 s after etcd is back; 1 s is enough here.
 */
export function hostBreaker(host: string, threshold = 3, halfOpenAfterMs = 1000): HostPolicy {
  let failures = 0;
  let openedAt = 0;
  let trialInFlight = false;
  const policy = {
    async execute<T>(fn: (context: unknown) => PromiseLike<T> | T): Promise<T> {
      let trial = false;
      if (failures >= threshold) {
        if (trialInFlight || Date.now() - openedAt < halfOpenAfterMs) throw new HostBreakerOpenError(host);
        trialInFlight = true;
        trial = true;
      }
      try {
        const result = await fn({ signal: new AbortController().signal });
        failures = 0;
        return result;
      } catch (err) {
        if (err instanceof Error && isRecoverableError(err)) {
          failures++;
          if (failures >= threshold) openedAt = Date.now();
        } else if (trial) {
          failures = 0; // the host answered: it is reachable
        }
        throw err;
      } finally {
        if (trial) trialInFlight = false;
      }
    },
  };
  return policy as unknown as HostPolicy;
}

/**
 * The global policy: each retry goes to another endpoint. etcd3's default retries every
 * "recoverable" error, deadline exceeded included, which can apply a write twice or report a
 * guarded txn as failed although its first attempt went through. Here only UNAVAILABLE (no
 * connection, no leader) is retried, at most `maxAttempts` tries in all.
 */
export function retryUnavailable(maxAttempts: number): GlobalPolicy {
  const policy = {
    async execute<T>(fn: (context: unknown) => PromiseLike<T> | T): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await fn({ signal: new AbortController().signal, attempt });
        } catch (err) {
          if (attempt >= maxAttempts || !(err instanceof GRPCUnavailableError)) throw err;
        }
      }
    },
  };
  return policy as unknown as GlobalPolicy;
}
