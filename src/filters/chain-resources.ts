import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.js';
import type { ChainResources } from './build-chain.js';
import type { FilterInstances } from './instance-registry.js';
import type { LoadedModule } from './load-module.js';

/**
 * What building a route's filter chain draws on: the loaded modules, the long-lived instances,
 * the per-phase time budget, and how failures are reported (a run failure counted and logged per
 * request; a create() failure logged once per filter and error).
 */
export function chainResources(deps: {
  readonly modules: { get(type: string): LoadedModule | undefined };
  readonly instances: FilterInstances;
  readonly budgetMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}): ChainResources {
  const { metrics, logger } = deps;
  const reportedCreateErrors = new Set<string>();
  return {
    modules: deps.modules,
    instances: deps.instances,
    budgetMs: deps.budgetMs,
    onFailure: (err) => {
      metrics.filterErrors.labels(err.filterId).inc();
      logger.warn({ filter: err.filterId, code: err.code, err: err.cause }, err.message);
    },
    onCreateError: (filterId, err) => {
      const key = `${filterId}:${String(err)}`;
      if (reportedCreateErrors.has(key)) return;
      reportedCreateErrors.add(key);
      logger.error({ filter: filterId, err }, `filter ${filterId}: create() failed; requests on routes using it fail with 500 until it is fixed`);
    },
  };
}
