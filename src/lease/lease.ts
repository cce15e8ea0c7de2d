/** Something held that must be let go of once: a lease, or a scope of leases. */
export interface Releasable {
  /** Lets go. Idempotent: a second call changes nothing. */
  release(): void;
}

/**
 * A hold on a long-lived resource handed out by a registry (an undici pool, a health state, a
 * metric series...). The registry computes the resource's key and counts its holds; when the last
 * hold is released it cleans the resource up (closes the pool, removes the series...), as undici's
 * Agent closes its own idle clients. `value` stays readable after release, but is no longer the
 * holder's to use.
 */
export interface Lease<T> extends Releasable {
  readonly value: T;
}
