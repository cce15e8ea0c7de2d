import type { AdmissionDeps } from '../admission/arrival.js';
import type { Metrics } from '../observability/metrics.js';

/** What forwarding needs from the rest of Junction, built once at start-up. */
export interface ProxyDeps extends AdmissionDeps {
  readonly metrics: Metrics;
}
