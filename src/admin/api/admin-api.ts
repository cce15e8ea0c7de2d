import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Validators } from '../../config/decode/validators.js';
import type { ConfigSnapshot } from '../../config/snapshot.js';
import type { ConfigStore } from '../../config/store/types.js';
import type { Graph } from '../../contracts/graph.js';
import type { FilterCatalog } from '../../config/filter-catalog.js';
import type { JunctionEvents } from '../../observability/events.js';
import type { Metrics } from '../../observability/metrics.js';
import type { AdminRouter } from '../admin-router.js';
import type { AdminAuth } from '../auth.js';
import { registerDashboardRoutes } from '../dashboard/dashboard-routes.js';
import { EVENTS_PATH, EventsSocket } from '../events/events-socket.js';
import { sendError } from '../../errors/error-response.js';
import { HttpError } from '../../errors/junction-error.js';
import type { ApiContext } from './api-context.js';
import { registerResourceRoutes } from './resource-routes.js';
import { registerServerRoutes } from './server-routes.js';
import { registerTopologyRoute } from './topology-route.js';
import { registerTxRoute } from './tx-route.js';

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
 * the admin listener (docs/api.md). Writes go to the store only: Junction applies them when its
 * watch sees them, exactly like an `etcdctl put`.
 */
export function registerAdminApi(router: AdminRouter, server: Server, deps: AdminApiDeps): AdminApi {
  const ctx: ApiContext = {
    store: deps.store,
    prefix: deps.prefix,
    validation: { validators: deps.validators, filters: deps.filters },
    snapshot: deps.snapshot,
  };
  registerResourceRoutes(router, ctx);
  registerServerRoutes(router, ctx);
  registerTxRoute(router, ctx);
  registerTopologyRoute(router, deps);
  registerDashboardRoutes(router);

  const events = new EventsSocket(server, {
    events: deps.events,
    auth: deps.auth,
    metrics: deps.metrics,
    logger: deps.logger,
    hello: () => {
      const s = deps.status() as { instance?: unknown; revision?: unknown };
      return { instance: s.instance, revision: s.revision };
    },
  });
  // a plain GET of the socket's path (no Upgrade) gets a JSON answer, not a 404
  router.on('GET', EVENTS_PATH, (_req, res) => {
    res.setHeader('upgrade', 'websocket');
    sendError(res, new HttpError('upgrade_required', 'this endpoint is a WebSocket: connect with Upgrade: websocket'));
  });
  return { close: () => events.close() };
}
