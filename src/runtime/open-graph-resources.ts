import type { Logger } from 'pino';
import { GuardRegistry } from '../canary/guard-registry.js';
import type { ChainResources } from '../filters/build-chain.js';
import { HealthRegistry } from '../health/health-registry.js';
import type { JunctionEvents } from '../observability/events.js';
import type { Metrics } from '../observability/metrics.js';
import { RouteSeriesCache } from '../observability/route-series.js';
import { RetryBudgets } from '../proxy/retry-budget.js';
import { TeeRegistry } from '../tee/tee-registry.js';
import { SecureContexts } from '../tls/cert-index.js';
import type { GraphResources } from './graph-resources.js';
import { ResourceRegistry } from './resource-registry.js';

/** The registries of one Junction instance, and how to let go of everything they hold. */
export interface OpenGraphResources extends GraphResources {
  /** closes every pool (the shadow side's at once), stops health checks and tee timers, closes filter instances */
  close(): Promise<void>;
}

export function openGraphResources(deps: {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly events: JunctionEvents;
  readonly chains: ChainResources;
}): OpenGraphResources {
  const { metrics, logger, events, chains } = deps;
  const registry = new ResourceRegistry();
  const shadowRegistry = new ResourceRegistry();
  const tees = new TeeRegistry({ metrics });
  const health = new HealthRegistry({ metrics, logger, events });
  return {
    registry,
    shadowRegistry,
    series: new RouteSeriesCache(metrics),
    guards: new GuardRegistry({ metrics, logger, events }),
    secureContexts: new SecureContexts((cert, err) => logger.error({ cert: cert.id, err }, `certificate ${cert.id} cannot be loaded for TLS; handshakes it would serve are refused`)),
    tees,
    chains,
    health,
    retryBudgets: new RetryBudgets(),
    metrics,
    close: async () => {
      await chains.instances.closeAll();
      await registry.close();
      await shadowRegistry.close(true);
      tees.close();
      health.close();
    },
  };
}
