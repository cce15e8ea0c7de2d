export type BalancerConfigErrorCode = 'unknown_balancer' | 'invalid_hash_key';

/** A balancer cannot be built from its configuration. Branch on `code`, never on the message. */
export class BalancerConfigError extends Error {
  override readonly name = 'BalancerConfigError';
  /** Configuration errors are the caller's input: 400 if surfaced through the admin API. */
  readonly status = 400;

  constructor(
    readonly code: BalancerConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}
