/** Every outcome of an offered copy, as counted in `junction_tee_requests_total{outcome}`. */
export const TEE_OUTCOMES = [
  'sent',
  'completed',
  'failed',
  'dropped_inflight',
  'dropped_rate',
  'dropped_breaker',
  'skipped_sample',
  'skipped_method',
  'skipped_body',
] as const;
export type TeeOutcome = (typeof TEE_OUTCOMES)[number];
