import type { GuardRegistry } from '../canary/guard-registry.js';
import type { ChainResources } from '../filters/build-chain.js';
import type { HealthRegistry } from '../health/health-registry.js';
import type { Metrics } from '../observability/metrics.js';
import type { RouteSeriesCache } from '../observability/route-series.js';
import type { RetryBudgets } from '../proxy/retry-budget.js';
import type { TeeRegistry } from '../tee/tee-registry.js';
import type { SecureContexts } from '../tls/cert-index.js';
import type { ResourceRegistry } from './resource-registry.js';

/** The long-lived things a graph build draws on (they outlive any one graph). */
export interface GraphResources {
  readonly registry: ResourceRegistry;
  readonly health: HealthRegistry;
  readonly retryBudgets: RetryBudgets;
  /** the shadow side's own pools: tee traffic never shares a connection with real traffic */
  readonly shadowRegistry: ResourceRegistry;
  readonly tees: TeeRegistry;
  readonly chains: ChainResources;
  readonly series: RouteSeriesCache;
  readonly guards: GuardRegistry;
  /** the certificates' TLS contexts, each made once and kept while its CertConfig is the same object */
  readonly secureContexts: SecureContexts;
  readonly metrics: Metrics;
}
