import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAdminServer } from './admin/admin-server.js';
import { registerAdminApi } from './admin/api/admin-api.js';
import { AdminAuth } from './admin/auth.js';
import { builtinFiltersDir } from './filters/builtin-dir.js';
import type { ChainResources } from './filters/build-chain.js';
import type { FilterCatalog } from './config/filter-catalog.js';
import { FilterInstances } from './filters/instance-registry.js';
import { ModuleRegistry } from './filters/module-registry.js';
import { instanceStatus, stalenessSeconds, statusDocument } from './admin/status.js';
import { GuardRegistry } from './canary/guard-registry.js';
import { ConfigManager } from './config/config-manager.js';
import { TeeRegistry } from './tee/tee-registry.js';
import { HealthRegistry } from './health/health-registry.js';
import { RetryBudgets } from './proxy/retry-budget.js';
import { createValidators } from './config/decode/validators.js';
import type { ConfigSnapshot } from './config/snapshot.js';
import { openStore } from './config/store/index.js';
import type { ConfigStore } from './config/store/types.js';
import type { AccessLog } from './observability/access-log.js';
import { JunctionEvents } from './observability/events.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { RouteSeriesCache } from './observability/route-series.js';
import { handleClientError } from './proxy/client-errors.js';
import { compileTrust } from './http/forwarded.js';
import { createProxyHandler } from './proxy/proxy-handler.js';
import type { ProxyDeps } from './proxy/proxy-deps.js';
import { GraphApplier } from './runtime/graph-applier.js';
import { ResourceRegistry } from './runtime/resource-registry.js';
import { StatusReporter } from './runtime/status-reporter.js';
import { Switcher } from './runtime/switcher.js';
import { listen, closeServer } from './server-lifecycle.js';
import { readVersion } from './version.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface JunctionOptions {
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly etcd?: readonly string[];
  readonly prefix: string;
  readonly dataDir: string;
  readonly adminToken?: string;
  readonly instanceId: string;
  readonly logger: Logger;
  /** the access log (one line per request), or undefined for none */
  readonly accessLog?: AccessLog;
  /** peers whose X-Forwarded-* headers are kept (CIDRs, addresses, or loopback/linklocal/uniquelocal) */
  readonly trustedProxies?: readonly string[];
  /** a folder of user filter modules, watched and hot-reloaded */
  readonly filtersDir?: string;
  /** the built-in filter modules' folder (default: the project's filters/) */
  readonly builtinFiltersDir?: string;
  /** how long a route's filters may take per phase before the request is abandoned with 504 (default 5 s) */
  readonly filterBudgetMs?: number;
  /** how long shutdown waits for in-flight requests (default 10 s) */
  readonly shutdownTimeoutMs?: number;
  /** called after the store is open and before the first load (the demo writes its config here) */
  readonly beforeStart?: (store: ConfigStore) => Promise<void>;
  /** a store opened by someone else (a `--workers` worker gets the primary's): used instead of opening one; still closed by close() */
  readonly store?: ConfigStore;
  /** bind the admin listener for this process alone, never shared through node:cluster (a worker's private admin port) */
  readonly adminExclusive?: boolean;
  /** write `P/status/<instance>` (default true; of the `--workers` workers only the first does) */
  readonly statusKey?: boolean;
  /** bind the proxy listener only once a first configuration is applied (a `--workers` worker) */
  readonly listenWhenConfigured?: boolean;
  /** which `--workers` worker this is (shown in the status) */
  readonly worker?: { readonly index: number };
}

export interface Junction {
  readonly proxyAddress: AddressInfo;
  /** what Junction reports about itself (config applied/rejected, guard trips, ...) */
  readonly events: JunctionEvents;
  readonly adminAddress: AddressInfo;
  readonly store: ConfigStore;
  readonly metrics: Metrics;
  readonly switcher: Switcher;
  /** resolves once a first configuration is applied */
  readonly firstApplied: Promise<ConfigSnapshot>;
  snapshot(): ConfigSnapshot | undefined;
  /** the `GET /api/v1/status` document */
  status(): unknown;
  /** requests in flight on the proxy listener */
  inFlight(): number;
  /** graceful shutdown: readyz 503, stop accepting, finish in-flight within the timeout, release all */
  close(): Promise<void>;
}

/**
 * The composition root: opens the store, binds both listeners (so a busy port fails fast), then
 * follows the configuration. Until a first configuration is applied the proxy answers 503
 * `not_ready` and `/readyz` says 503.
 */
export async function startJunction(opts: JunctionOptions): Promise<Junction> {
  const { logger } = opts;
  const version = readVersion();
  const startedAt = new Date().toISOString();
  const store = opts.store ?? (await openStore({ etcd: opts.etcd ? [...opts.etcd] : undefined, prefix: opts.prefix, dataDir: opts.dataDir, logger }));
  const cleanup: Array<() => Promise<void>> = [() => store.close()];
  try {
    const metrics = createMetrics({ staleness: () => stalenessSeconds(store.health(), Date.now()) });
    const switcher = new Switcher();
    const registry = new ResourceRegistry();
    const shadowRegistry = new ResourceRegistry();
    const series = new RouteSeriesCache(metrics);
    const events = new JunctionEvents();
    const guards = new GuardRegistry({ metrics, logger, events });
    const tees = new TeeRegistry({ metrics });
    const health = new HealthRegistry({ metrics, logger, events });
    const retryBudgets = new RetryBudgets();
    const inFlight = { count: 0 };
    const deps: ProxyDeps = {
      switcher,
      metrics,
      // leased for the instance's whole life: never released
      unroutedSeries: series.acquire('', '').value,
      logger,
      accessLog: opts.accessLog,
      inFlight,
      trust: opts.trustedProxies?.length ? compileTrust(opts.trustedProxies) : undefined,
      proto: 'http',
    };
    let draining = false;
    let current: ConfigSnapshot | undefined;
    const reporter = opts.statusKey === false ? undefined : new StatusReporter(store.ephemeral(`${opts.prefix}/status/${opts.instanceId}`, 10), logger);
    if (reporter) cleanup.unshift(() => reporter.close());

    // headersTimeout is enforced by Node's connection sweep: check every second, not every 30 s.
    // requireHostHeader: false lets the handler answer a missing Host with Junction's JSON 400.
    const proxy = createProxyHandler(deps);
    const proxyServer = createServer(
      { headersTimeout: 20_000, requestTimeout: 0, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000, requireHostHeader: false },
      proxy.request,
    );
    proxyServer.on('upgrade', proxy.upgrade);
    proxyServer.on('clientError', (err, socket) => handleClientError(err, socket, deps.unroutedSeries));

    const auth = new AdminAuth(opts.adminToken);
    const admin = createAdminServer({
      auth,
      registry: metrics.registry,
      logger,
      ready: () => current !== undefined && !draining,
      status: () => statusDoc(),
    });
    const statusDoc = () => ({
      ...statusDocument({
        instance: opts.instanceId,
        version,
        storeKind: store.kind,
        storeHealth: store.health(),
        snapshot: current,
        ready: current !== undefined && !draining,
        draining,
        startedAt,
        now: Date.now(),
        guards: guards.states(),
        tees: tees.reports(),
        filterModules: { modules: modules.modules(), errors: modules.errors() },
        servers: health.states(),
      }),
      ...(opts.worker ? { worker: { index: opts.worker.index, pid: process.pid } } : {}),
    });

    const validators = createValidators();
    let manager: ConfigManager | undefined;
    const modules = new ModuleRegistry(
      [opts.builtinFiltersDir ?? builtinFiltersDir(), opts.filtersDir],
      validators.ajv,
      logger.child({ component: 'filters' }),
      () => manager?.rebuild(),
    );
    cleanup.unshift(async () => modules.close());
    const filterCatalog: FilterCatalog = modules;
    const instances = new FilterInstances(logger.child({ component: 'filters' }));
    const reportedCreateErrors = new Set<string>();
    const chains: ChainResources = {
      modules,
      instances,
      budgetMs: opts.filterBudgetMs ?? 5000,
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
    const adminApi = registerAdminApi(admin.router, admin.server, {
      store,
      prefix: opts.prefix,
      validators,
      filters: filterCatalog,
      events,
      auth,
      logger,
      metrics,
      snapshot: () => current,
      graph: () => switcher.current,
      status: () => statusDoc(),
    });

    // A single process binds first, so a taken port fails at once (and answers 503 not_ready until
    // configured); a --workers worker binds once configured, so a worker that is starting or
    // replacing a dead one never takes connections from the shared socket it cannot serve yet.
    let proxyAddress = opts.listenWhenConfigured === true ? undefined : await listen(proxyServer, opts.listen, 'proxy');
    cleanup.unshift(() => closeServer(proxyServer, 0));
    const adminAddress = await listen(admin.server, opts.admin, 'admin', opts.adminExclusive === true);
    cleanup.unshift(() => closeServer(admin.server, 0));

    const applier = new GraphApplier({
      switcher,
      resources: { registry, shadowRegistry, series, guards, tees, chains, health, retryBudgets, metrics },
      logger,
      events,
      onApplied: (snap) => {
        current = snap;
        reporter?.report(instanceStatus({ instance: opts.instanceId, version, snapshot: snap, moduleErrors: modules.errors() }));
      },
    });
    await modules.start();
    manager = new ConfigManager({
      store,
      validators,
      logger,
      filters: filterCatalog,
      onSnapshot: (snap, rejected, keys) => applier.apply(snap, rejected, keys),
    });
    await opts.beforeStart?.(store);
    const firstApplied = manager.start();
    firstApplied.catch(() => undefined);
    if (proxyAddress === undefined) {
      await firstApplied;
      proxyAddress = await listen(proxyServer, opts.listen, 'proxy');
    }
    logger.info(
      { proxy: `${proxyAddress.address}:${proxyAddress.port}`, admin: `${adminAddress.address}:${adminAddress.port}`, store: store.kind, prefix: opts.prefix, instance: opts.instanceId, version },
      'junction started',
    );

    let closing: Promise<void> | undefined;
    return {
      proxyAddress,
      adminAddress,
      events,
      store,
      metrics,
      switcher,
      firstApplied,
      snapshot: () => current,
      status: () => statusDoc(),
      inFlight: () => inFlight.count,
      close: () =>
        (closing ??= (async () => {
          draining = true;
          logger.info({ inFlight: inFlight.count }, 'shutting down: draining in-flight requests');
          await closeServer(proxyServer, opts.shutdownTimeoutMs ?? 10_000, () => inFlight.count === 0);
          proxy.close();
          adminApi.close();
          await manager?.close();
          modules.close();
          await instances.closeAll();
          await reporter?.close();
          await registry.close();
          await shadowRegistry.close(true);
          tees.close();
          health.close();
          await closeServer(admin.server, 1000);
          await store.close();
          logger.info('junction stopped');
        })()),
    };
  } catch (err) {
    for (const fn of cleanup) await fn().catch(() => undefined);
    throw err;
  }
}
