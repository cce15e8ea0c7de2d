import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAdminServer } from './admin/admin-server.js';
import { registerAdminApi } from './admin/api/admin-api.js';
import { AdminAuth } from './admin/auth.js';
import { instanceStatus, stalenessSeconds, statusDocument } from './admin/status.js';
import { Components } from './components.js';
import { ConfigManager } from './config/config-manager.js';
import { createValidators } from './config/decode/validators.js';
import type { ConfigSnapshot } from './config/snapshot.js';
import type { Graph } from './contracts/graph.js';
import { openStore, storeOptionsFrom, type EtcdAuthOptions, type EtcdTlsOptions } from './config/store/index.js';
import type { ConfigStore } from './config/store/types.js';
import { builtinFiltersDir } from './filters/builtin-dir.js';
import { chainResources } from './filters/chain-resources.js';
import { FilterInstances } from './filters/instance-registry.js';
import { ModuleRegistry } from './filters/module-registry.js';
import { compileTrust } from './http/forwarded.js';
import { closeServer, listen } from './http/server-lifecycle.js';
import type { AccessLog } from './observability/access-log.js';
import { JunctionEvents } from './observability/events.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { ProtocolCounts } from './observability/protocol-counts.js';
import type { ProxyDeps } from './proxy/proxy-deps.js';
import { ProxyListener } from './proxy/proxy-listener.js';
import { TlsListener, type CertPicker } from './proxy/tls-listener.js';
import type { TlsTimeouts } from './proxy/tls-connection-timers.js';
import { DEFAULT_PATH_OPTIONS, type PathOptions } from './routing/normalize-path.js';
import { GraphApplier } from './runtime/graph-applier.js';
import { openGraphResources } from './runtime/open-graph-resources.js';
import { StatusReporter } from './runtime/status-reporter.js';
import { Switcher } from './runtime/switcher.js';
import { AcmeDriver } from './tls/acme/acme-driver.js';
import { AcmeIssuer, type AcmeServerOptions } from './tls/acme/acme-issuer.js';
import { AcmeKeys } from './tls/acme/acme-keys.js';
import { ChallengeBook } from './tls/acme/challenge-book.js';
import { readVersion } from './version.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface JunctionOptions {
  /** the plain HTTP/1.1 listener (undefined: none; then `listenTls` is the only way in) */
  readonly listen: HostPort | undefined;
  /** the TLS listener: HTTP/2 and HTTP/1.1 by ALPN, certificates by SNI from `P/certs/` */
  readonly listenTls?: HostPort;
  /** the TLS listener's connection timeouts (default 20 s for an HTTP/1.1 head, 120 s for an idle HTTP/2 session) */
  readonly tlsTimeouts?: TlsTimeouts;
  readonly admin: HostPort;
  readonly etcd?: readonly string[];
  /** TLS to etcd (`--etcd-ca`, `--etcd-cert`, `--etcd-key`) */
  readonly etcdTls?: EtcdTlsOptions;
  /** an etcd user and its password (`--etcd-user`, `--etcd-password-file`) */
  readonly etcdAuth?: EtcdAuthOptions;
  readonly prefix: string;
  readonly dataDir: string;
  readonly adminToken?: string;
  readonly instanceId: string;
  readonly logger: Logger;
  /** the access log (one line per request), or undefined for none */
  readonly accessLog?: AccessLog;
  /** how request paths are normalized beyond RFC 3986 (default: slashes merged, escaped slashes refused) */
  readonly paths?: PathOptions;
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
  /** automatic certificates (`--acme-directory`): this instance may drive them (of `--workers` workers, the first) */
  readonly acme?: AcmeOptions;
}

/** `--acme-directory`, `--acme-email`, `--acme-ca-file` (read), and the driver's pace. */
export interface AcmeOptions extends AcmeServerOptions {
  /** how often the lock and the specs are looked at (default 5 s) */
  readonly tickMs?: number;
  /** the first wait after a failed order (default 60 s), doubling */
  readonly retryMinMs?: number;
  /** the lock's lease TTL (default 10 s) */
  readonly lockTtlSeconds?: number;
}

export interface Junction {
  /** the plain listener's address (undefined with `listen` off) */
  readonly proxyAddress: AddressInfo | undefined;
  /** the TLS listener's address, when there is one */
  readonly tlsAddress: AddressInfo | undefined;
  /** what Junction reports about itself (config applied/rejected, guard trips, ...) */
  readonly events: JunctionEvents;
  readonly adminAddress: AddressInfo;
  readonly store: ConfigStore;
  readonly metrics: Metrics;
  readonly switcher: Switcher;
  /** resolves once a first configuration is applied (undefined if applying it failed; the next change retries) */
  readonly firstApplied: Promise<ConfigSnapshot | undefined>;
  snapshot(): ConfigSnapshot | undefined;
  /** the `GET /api/v1/status` document */
  status(): unknown;
  /** requests in flight on the proxy listener */
  inFlight(): number;
  /** graceful shutdown: readyz 503, stop accepting, finish in-flight within the timeout, release all */
  close(): Promise<void>;
}

/**
 * The composition root. It makes every part first (nothing listens yet), then starts them in
 * order — the store, the admin listener, the proxy listener (so a busy port fails fast), the
 * filter modules, the configuration watch — and stops them in reverse. Until a first
 * configuration is applied the proxy answers 503 `not_ready` and `/readyz` says 503.
 */
export async function startJunction(opts: JunctionOptions): Promise<Junction> {
  const { logger } = opts;
  const version = readVersion();
  const startedAt = new Date().toISOString();
  const components = new Components(logger);
  try {
    const store = components.started(
      opts.store ??
        (await openStore(storeOptionsFrom(opts, logger))),
      'store',
      (s) => s.close(),
    );

    // ---- the parts: made, wired, not started ----
    const switcher = new Switcher();
    const metrics = createMetrics({ version, staleness: () => stalenessSeconds(store.health(), Date.now()), certs: () => switcher.snapshot?.certs.values() ?? [] });
    const events = new JunctionEvents();
    const validators = createValidators();
    const filterLogger = logger.child({ component: 'filters' });
    const modules = new ModuleRegistry([opts.builtinFiltersDir ?? builtinFiltersDir(), opts.filtersDir], validators.ajv, filterLogger);
    const resources = components.started(
      openGraphResources({
        metrics,
        logger,
        events,
        chains: chainResources({ modules, instances: new FilterInstances(filterLogger), budgetMs: opts.filterBudgetMs ?? 5000, metrics, logger }),
      }),
      'registries',
      (r) => r.close(),
    );
    const inFlight = { count: 0 };
    const acmeKeys = new AcmeKeys(opts.prefix);
    const deps: ProxyDeps = {
      switcher,
      metrics,
      // leased for the instance's whole life: never released
      unroutedSeries: resources.series.acquire('', '').value,
      logger,
      accessLog: opts.accessLog,
      inFlight,
      trust: opts.trustedProxies?.length ? compileTrust(opts.trustedProxies) : undefined,
      proto: 'http',
      paths: opts.paths ?? DEFAULT_PATH_OPTIONS,
      protocols: new ProtocolCounts(metrics.registry),
      // every instance answers ACME challenges, whichever drives (the watch keeps them in memory)
      challenges: new ChallengeBook(store, acmeKeys, (key) => manager.ownValue(key)),
    };
    const proxy = new ProxyListener(deps);
    // the TLS listener: the same requests, told X-Forwarded-Proto https; certificates by SNI from the current graph
    const tls = opts.listenTls === undefined ? undefined : new TlsListener({ ...deps, proto: 'https' }, () => certPicker(switcher.current), metrics, opts.tlsTimeouts);
    if (tls !== undefined) events.on((e) => e.type === 'config.applied' && tls.refreshFallback());
    let draining = false;
    const ready = (): boolean => switcher.current !== undefined && !draining;
    const status = () => ({
      ...statusDocument({
        instance: opts.instanceId,
        version,
        storeKind: store.kind,
        storeHealth: store.health(),
        snapshot: switcher.snapshot,
        ready: ready(),
        draining,
        startedAt,
        now: Date.now(),
        guards: resources.guards.states(),
        tees: resources.tees.reports(),
        filterModules: { modules: modules.modules(), errors: modules.errors() },
        servers: resources.health.states(),
      }),
      ...(acme === undefined ? {} : { acme: acme.report() }),
      ...(opts.worker ? { worker: { index: opts.worker.index, pid: process.pid } } : {}),
    });
    const reporter =
      opts.statusKey === false
        ? undefined
        : components.started(new StatusReporter(store.ephemeral(`${opts.prefix}/status/${opts.instanceId}`, 10), logger), 'status key', (r) => r.close());
    const auth = new AdminAuth(opts.adminToken);
    const admin = createAdminServer({ auth, registry: metrics.registry, logger, ready, status });
    components.started(
      registerAdminApi(admin.router, admin.server, {
        store,
        prefix: opts.prefix,
        validators,
        filters: modules,
        events,
        auth,
        logger,
        metrics,
        snapshot: () => switcher.snapshot,
        graph: () => switcher.current,
        status,
      }),
      'admin API',
      (api) => api.close(),
    );
    const applier = new GraphApplier({
      switcher,
      resources,
      logger,
      events,
      onApplied: (snap) => reporter?.report(instanceStatus({ instance: opts.instanceId, version, snapshot: snap, moduleErrors: modules.errors() })),
    });
    const manager = new ConfigManager({
      store,
      validators,
      logger,
      filters: modules,
      current: () => switcher.snapshot,
      onSnapshot: (snap, rejected, keys) => applier.apply(snap, rejected, keys),
    });
    const drainMs = opts.shutdownTimeoutMs ?? 10_000;
    const acme =
      opts.acme === undefined || (opts.worker !== undefined && opts.worker.index !== 0)
        ? undefined
        : new AcmeDriver({
            store,
            keys: acmeKeys,
            issuer: new AcmeIssuer(opts.acme),
            snapshot: () => switcher.snapshot,
            ownValue: (key) => manager.ownValue(key),
            instance: opts.instanceId,
            logger: logger.child({ component: 'acme' }),
            metrics,
            ...(opts.acme.tickMs === undefined ? {} : { tickMs: opts.acme.tickMs }),
            ...(opts.acme.retryMinMs === undefined ? {} : { retryMinMs: opts.acme.retryMinMs }),
            ...(opts.acme.lockTtlSeconds === undefined ? {} : { lockTtlSeconds: opts.acme.lockTtlSeconds }),
          });

    // ---- started in order, stopped in reverse ----
    const adminAddress = components.started(await listen(admin.server, opts.admin, 'admin', opts.adminExclusive === true), 'admin listener', () =>
      closeServer(admin.server, 1000),
    );
    // A single process binds first, so a taken port fails at once (and answers 503 not_ready until
    // configured); a --workers worker binds once configured, so a worker that is starting or
    // replacing a dead one never takes connections from the shared socket it cannot serve yet.
    const listeners = async (): Promise<{ plain: AddressInfo | undefined; tls: AddressInfo | undefined }> => {
      const plain = opts.listen === undefined ? undefined : components.started(await proxy.listen(opts.listen), 'proxy listener', () => proxy.close(drainMs));
      const secure =
        tls === undefined || opts.listenTls === undefined ? undefined : components.started(await tls.listen(opts.listenTls), 'TLS listener', () => tls.close(drainMs));
      return { plain, tls: secure };
    };
    let bound = opts.listenWhenConfigured === true ? undefined : await listeners();
    await modules.start(() => manager.rebuild());
    components.started(modules, 'filter modules', (m) => m.close());
    await opts.beforeStart?.(store);
    components.started(manager, 'configuration watch', (m) => m.close());
    const firstApplied = manager.start();
    firstApplied.catch(() => undefined);
    if (acme !== undefined) {
      components.started(acme, 'ACME driver', (d) => d.close());
      events.on((e) => e.type === 'config.applied' && acme.kick());
      void firstApplied.then(() => acme.start(), () => undefined);
    }
    if (bound === undefined) {
      await firstApplied;
      bound = await listeners();
    }
    const { plain: proxyAddress, tls: tlsAddress } = bound;
    const at = (a: AddressInfo | undefined) => (a === undefined ? undefined : `${a.address}:${a.port}`);
    logger.info(
      { proxy: at(proxyAddress), tls: at(tlsAddress), admin: at(adminAddress), store: store.kind, prefix: opts.prefix, instance: opts.instanceId, version },
      'junction started',
    );

    let closing: Promise<void> | undefined;
    return {
      proxyAddress,
      tlsAddress,
      adminAddress,
      events,
      store,
      metrics,
      switcher,
      firstApplied,
      snapshot: () => switcher.snapshot,
      status,
      inFlight: () => inFlight.count,
      close: () =>
        (closing ??= (async () => {
          draining = true;
          logger.info({ inFlight: inFlight.count }, 'shutting down: draining in-flight requests');
          await components.stopAll();
          logger.info('junction stopped');
        })()),
    };
  } catch (err) {
    await components.stopAll();
    throw err;
  }
}

/** The current graph's certificates as the TLS listener reads them. */
function certPicker(graph: Graph | undefined): CertPicker | undefined {
  if (graph === undefined) return undefined;
  const certs = graph.certs;
  return { pick: (name) => certs.pick(name), fallback: certs.match(undefined) };
}
