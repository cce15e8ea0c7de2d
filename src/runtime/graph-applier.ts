import type { Logger } from 'pino';
import type { ConfigIssue } from '../config/issues.js';
import type { ConfigSnapshot } from '../config/snapshot.js';
import type { JunctionEvents } from '../observability/events.js';
import { buildGraph, type BuiltGraph } from './build-graph.js';
import type { GraphResources } from './graph-resources.js';
import type { Switcher } from './switcher.js';

/**
 * Turns each new snapshot into a runtime graph and swaps it in, then releases the leases of the
 * parts it replaced: a registry cleans up (closes a pool, removes a series...) whatever nothing
 * holds any more. If building throws, the build has released its own leases and the previous graph
 * keeps serving with its own (the exception propagates so the config manager keeps its previous
 * snapshot too).
 */
export class GraphApplier {
  /** the last graph swapped in, whose unchanged parts the next build reuses */
  #last: BuiltGraph | undefined;

  constructor(
    private readonly deps: {
      readonly switcher: Switcher;
      /** the registries every build leases from, and the metrics registry */
      readonly resources: GraphResources;
      readonly logger: Logger;
      readonly events: JunctionEvents;
      /** called after every swap, before the events go out (the status key) */
      readonly onApplied?: (snapshot: ConfigSnapshot) => void;
    },
  ) {}

  apply(snapshot: ConfigSnapshot, rejected: readonly ConfigIssue[], changedKeys?: readonly string[]): void {
    const { switcher, resources, logger } = this.deps;
    const { metrics } = resources;
    const started = performance.now();
    const built = buildGraph(snapshot, resources, this.#last);
    switcher.swap(built.graph);
    this.#last = built;
    // The outgoing graph's replaced parts let go only now: requests already running on it keep the
    // runtimes they captured, and a pool closes gracefully (its in-flight requests finish).
    built.retired.release();
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
    this.deps.onApplied?.(snapshot);
    // Events last: a listener that reads the current snapshot, graph or status sees this revision.
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
  }
}
