import CircuitBreaker from 'opossum';
import type { ResolvedBreaker } from '../config/defaults.js';
import type { Attempt } from '../contracts/server.js';
import type { BucketClocks } from './bucket-clocks.js';

/** Rejects the breaker's trial for a 5xx answer: the request itself still goes through to the client. */
export class UpstreamStatusFailure extends Error {
  readonly code = 'upstream_5xx';
  constructor(readonly status: number) {
    super(`upstream answered ${status}`);
  }
}

/**
 * One opossum breaker per (backend, server), with the BackendSpec's settings. It opens when, with
 * at least `volumeThreshold` requests in the rolling `windowMs`, at least
 * `errorThresholdPercentage` of them failed (connect errors, resets, timeouts, 5xx); while open the
 * balancer skips the server; after `resetTimeoutMs` one request probes it (half-open).
 * Per LIBRARIES.md: no opossum timeout (undici's own timeouts apply), no snapshots.
 */
export const ROLLING_BUCKETS = 10;

/** `clocks`: shared bucket rotation (one timer per window length); without it opossum starts a timer per breaker. */
export function createBreaker(settings: ResolvedBreaker, clocks?: BucketClocks): CircuitBreaker<[Attempt], void> {
  return new CircuitBreaker((attempt: Attempt) => attempt(), {
    ...(clocks === undefined ? {} : { rotateBucketController: clocks.for(settings.windowMs, ROLLING_BUCKETS) }),
    timeout: false,
    errorThresholdPercentage: settings.errorThresholdPercentage,
    volumeThreshold: settings.volumeThreshold,
    resetTimeout: settings.resetTimeoutMs,
    rollingCountTimeout: settings.windowMs,
    rollingCountBuckets: ROLLING_BUCKETS,
    enableSnapshots: false,
  } as CircuitBreaker.Options<[Attempt]>);
}

/** Whether a request may be sent through the breaker now (closed, or half-open awaiting its probe). */
export function breakerAllows(b: CircuitBreaker<[Attempt], void>): boolean {
  return b.closed || b.pendingClose;
}

export function breakerSettingsKey(s: ResolvedBreaker): string {
  return `${s.errorThresholdPercentage}/${s.volumeThreshold}/${s.resetTimeoutMs}/${s.windowMs}`;
}
