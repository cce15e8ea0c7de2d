import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Validators } from '../../config/decode/validators.js';
import type { ConfigSnapshot } from '../../config/snapshot.js';
import type { ConfigStore } from '../../config/store/types.js';
import type { FilterCatalog } from '../../filters/filter-catalog.js';
import type { JunctionEvents } from '../../observability/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { Graph } from '../../runtime/graph.js';
import type { AdminRouter } from '../admin-router.js';
import type { AdminAuth } from '../auth.js';

/** What the admin API, the events socket and the dashboard draw on. */
export interface AdminApiDeps {
  readonly store: ConfigStore;
  readonly prefix: string;
  readonly validators: Validators;
  readonly filters: FilterCatalog;
  readonly events: JunctionEvents;
  readonly auth: AdminAuth;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** the applied configuration */
  readonly snapshot: () => ConfigSnapshot | undefined;
  /** the runtime graph serving now */
  readonly graph: () => Graph | undefined;
  /** the `GET /api/v1/status` document */
  readonly status: () => unknown;
}

export interface AdminApi {
  /** stops the events socket and its timers */
  close(): void;
}

/**
 * Registers the writable admin API (CRUD, transactions), the events socket and the dashboard on
 * the admin listener. (Being built: issue 7.)
 */
export function registerAdminApi(_router: AdminRouter, _server: Server, _deps: AdminApiDeps): AdminApi {
  return { close() {} };
}
