import type { Logger } from 'pino';
import type { GuardRegistry } from '../canary/guard-registry.js';
import type { ChainResources } from '../filters/build-chain.js';
import type { HealthRegistry } from '../health/health-registry.js';
import type { RetryBudgets } from '../proxy/retry-budget.js';
import type { TeeRegistry } from '../tee/tee-registry.js';
import type { ConfigIssue } from '../config/issues.js';
import type { ConfigSnapshot } from '../config/snapshot.js';
import type { JunctionEvents } from '../observability/events.js';
import type { Metrics } from '../observability/metrics.js';
import type { RouteSeriesCache } from '../observability/route-series.js';
import { buildGraph, type BuiltGraph } from './build-graph.js';
import type { ResourceRegistry } from './resource-registry.js';
import type { Switcher } from './switcher.js';

/**
 * Turns each new snapshot into a runtime graph and swaps it in, then lets go of the long-lived
 * resources and metric series nothing uses any more. If building throws, the previous graph keeps
 * serving (the exception propagates so the config manager keeps its previous snapshot too).
 */
export class GraphApplier {
  /** the last graph swapped in, whose unchanged parts the next build reuses */
  #last: BuiltGraph | undefined;
  /** a build failed after acquiring resources it never counted: sweep every registry next time */
  #sweepAll = false;

  constructor(
    private readonly deps: {
      readonly switcher: Switcher;
      readonly registry: ResourceRegistry;
      readonly series: RouteSeriesCache;
      readonly guards: GuardRegistry;
      readonly shadowRegistry: ResourceRegistry;
      readonly tees: TeeRegistry;
      readonly chains: ChainResources;
      readonly health: HealthRegistry;
      readonly retryBudgets: RetryBudgets;
      readonly metrics: Metrics;
      readonly logger: Logger;
      readonly events: JunctionEvents;
      /** called after every swap (status key) */
      readonly onApplied?: (snapshot: ConfigSnapshot) => void;
    },
  ) {}

  apply(snapshot: ConfigSnapshot, rejected: readonly ConfigIssue[], changedKeys?: readonly string[]): void {
    const { switcher, registry, shadowRegistry, series, guards, tees, chains, health, retryBudgets, metrics, logger } = this.deps;
    const started = performance.now();
    let built: BuiltGraph;
    try {
      built = buildGraph(snapshot, { registry, shadowRegistry, series, guards, tees, chains, health, retryBudgets, metrics }, this.#last);
    } catch (err) {
      this.#sweepAll = true;
      throw err;
    }
    switcher.swap(built.graph);
    this.#last = built;
    // Release what nothing holds any more. A registry is swept only when this build let go of one
    // of its keys (or after a full build), so a one-key change at 10,000 routes does not walk
    // every pool, health state and metric series.
    const all = built.full || this.#sweepAll;
    this.#sweepAll = false;
    const { released } = built;
    if (all || released.upstream.length > 0) registry.retain(built.upstreamKeys);
    shadowRegistry.retain(built.shadowKeys);
    if (all || released.series.length > 0) series.retain(built.seriesKeys);
    if (all || released.guard.length > 0) guards.retain(built.guardKeys);
    tees.retain(built.teeKeys);
    if (all || released.filter.length > 0) chains.instances.retain(built.filterKeys);
    if (all || released.health.length > 0) health.retain(built.healthKeys);
    if (all || released.backends.length > 0) retryBudgets.retain(new Set(built.graph.backends.keys()));
    metrics.configRevision.set(snapshot.revision);
    metrics.configErrors.set(snapshot.issues.length);
    metrics.configReloads.labels(rejected.length > 0 ? 'rejected' : 'applied').inc();
    logger.info(
      {
        revision: snapshot.revision,
        routes: built.graph.routes.size,
        backends: built.graph.backends.size,
        issues: snapshot.issues.length,
        rebuilt: built.rebuilt,
        ms: Math.round((performance.now() - started) * 100) / 100,
      },
      'configuration applied',
    );
    const { events } = this.deps;
    for (const i of rejected) {
      events.emit({
        type: 'config.rejected',
        revision: i.revision,
        key: i.key,
        ...(i.field === undefined ? {} : { field: i.field }),
        code: i.code,
        message: i.message,
      });
    }
    events.emit({ type: 'config.applied', revision: snapshot.revision, keys: changedKeys ?? ['*'], issues: snapshot.issues.length });
    this.deps.onApplied?.(snapshot);
  }
}
