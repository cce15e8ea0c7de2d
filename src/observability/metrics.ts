import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Junction's metrics (docs/operations.md lists them) in a registry of its own. Labels come only from bounded config
 * values (route, backend and server ids, status codes, fixed kinds), never from paths or clients.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'route' | 'backend' | 'code'>;
  readonly httpDuration: Histogram<'route' | 'backend'>;
  readonly upstreamErrors: Counter<'backend' | 'kind'>;
  readonly configRevision: Gauge;
  readonly configReloads: Counter<'outcome'>;
  readonly configErrors: Gauge;
  readonly configStaleness: Gauge;
  readonly serverHealthy: Gauge<'backend' | 'server'>;
  readonly breakerOpen: Gauge<'backend' | 'server'>;
  readonly canaryGuardTripped: Gauge<'route' | 'backend'>;
  readonly canaryForceIgnored: Counter<'route'>;
  readonly teeRequests: Counter<'route' | 'backend' | 'outcome'>;
  readonly teeDuration: Histogram<'route' | 'backend'>;
  readonly teeCompare: Counter<'route' | 'backend' | 'result'>;
  readonly filterErrors: Counter<'filter'>;
  readonly tlsHandshakeErrors: Counter<'reason'>;
  readonly certExpiry: Gauge<'cert'>;
  readonly acmeOrders: Counter<'outcome'>;
}

/** What the certificate expiry gauge reads at each scrape: the certificates serving now. */
export interface CertExpiry {
  readonly id: string;
  /** ISO time */
  readonly notAfter: string;
}

export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * `staleness` and `certs` are read at each scrape (the store's state, the current snapshot's
 * certificates): those gauges have no series of their own between scrapes, so a deleted
 * certificate's series is gone from the next scrape on.
 */
export function createMetrics(
  opts: { defaultMetrics?: boolean; staleness?: () => number; certs?: () => Iterable<CertExpiry>; version?: string } = {},
): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    // the standard names (process_*, nodejs_*), as every Node.js dashboard expects them
    collectDefaultMetrics({ register: registry });
    // ...but for three gauges named *_total, which promtool rejects (prometheus/client_js#283);
    // nodejs_active_{handles,requests,resources}{type} carry the same counts by type
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const registers = [registry];
  if (opts.version !== undefined) {
    new Gauge({
      name: 'junction_build_info',
      help: 'Always 1: the Junction version and the Node.js version this process runs',
      labelNames: ['version', 'node'],
      aggregator: 'max',
      registers,
    })
      .labels(opts.version, process.version)
      .set(1);
  }
  const staleness = opts.staleness;
  const certs = opts.certs;
  return {
    registry,
    httpRequests: new Counter({
      name: 'junction_http_requests_total',
      help: 'Requests answered, by route, backend and status code (route "" = no route matched)',
      labelNames: ['route', 'backend', 'code'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'junction_http_request_duration_seconds',
      help: 'Time from request arrival to the end of the response',
      labelNames: ['route', 'backend'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'junction_upstream_errors_total',
      help: 'Upstream failures by backend and kind (connect, timeout, reset, protocol, ...)',
      labelNames: ['backend', 'kind'],
      registers,
    }),
    configRevision: new Gauge({
      name: 'junction_config_revision',
      help: 'Store revision of the applied configuration (with --workers: the lowest any worker has applied)',
      aggregator: 'min',
      registers,
    }),
    configReloads: new Counter({
      name: 'junction_config_reloads_total',
      help: 'Configuration updates: applied (all changed keys valid) or rejected (at least one key rejected)',
      labelNames: ['outcome'],
      registers,
    }),
    configErrors: new Gauge({ name: 'junction_config_errors', help: 'Keys currently not serving their latest value', aggregator: 'max', registers }),
    configStaleness: new Gauge({
      name: 'junction_config_staleness_seconds',
      help: 'Seconds since the configuration store was last reached (0 while connected)',
      aggregator: 'max',
      registers,
      ...(staleness ? { collect(this: Gauge) { this.set(staleness()); } } : {}),
    }),
    serverHealthy: new Gauge({
      name: 'junction_server_healthy',
      help: 'Whether the server takes traffic by health (1) or not (0); with --workers, 1 only if every worker says so',
      labelNames: ['backend', 'server'],
      aggregator: 'min',
      registers,
    }),
    breakerOpen: new Gauge({
      name: 'junction_breaker_open',
      help: 'Whether the server breaker is open (1) or not (0); with --workers, 1 if any worker\'s is',
      labelNames: ['backend', 'server'],
      aggregator: 'max',
      registers,
    }),
    canaryGuardTripped: new Gauge({
      name: 'junction_canary_guard_tripped',
      help: 'Whether the canary guard took the backend out of the split (1) or not (0); with --workers, 1 if any worker\'s has',
      labelNames: ['route', 'backend'],
      aggregator: 'max',
      registers,
    }),
    teeRequests: new Counter({
      name: 'junction_tee_requests_total',
      help: 'Shadow copies by outcome: sent, completed, failed, dropped_inflight|dropped_rate|dropped_breaker, skipped_sample|skipped_method|skipped_body',
      labelNames: ['route', 'backend', 'outcome'],
      registers,
    }),
    teeDuration: new Histogram({
      name: 'junction_tee_duration_seconds',
      help: 'Shadow request time, dispatch to the end of the shadow response',
      labelNames: ['route', 'backend'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    teeCompare: new Counter({
      name: 'junction_tee_compare_total',
      help: 'Shadow responses compared with the primary response (status, chosen headers, body hash)',
      labelNames: ['route', 'backend', 'result'],
      registers,
    }),
    filterErrors: new Counter({
      name: 'junction_filter_errors_total',
      help: 'Requests failed by a filter that threw, rejected, returned an invalid reply or overran the time budget',
      labelNames: ['filter'],
      registers,
    }),
    tlsHandshakeErrors: new Counter({
      name: 'junction_tls_handshake_errors_total',
      help: 'TLS handshakes on the TLS listener that failed, by reason (unknown_name, no_shared_cipher, protocol_version, plain_http, reset, timeout, other)',
      labelNames: ['reason'],
      registers,
    }),
    certExpiry: new Gauge({
      name: 'junction_tls_certificate_expiry_seconds',
      help: "When each serving certificate's leaf expires (its notAfter), Unix seconds; with --workers, the earliest any worker serves",
      labelNames: ['cert'],
      aggregator: 'min',
      registers,
      ...(certs
        ? {
            collect(this: Gauge<'cert'>) {
              this.reset();
              for (const c of certs()) this.labels(c.id).set(Math.floor(Date.parse(c.notAfter) / 1000));
            },
          }
        : {}),
    }),
    acmeOrders: (() => {
      const c = new Counter({
        name: 'junction_acme_orders_total',
        help: 'ACME orders this instance drove, by outcome (issued: a first certificate for an AcmeSpec or new names; renewed; failed)',
        labelNames: ['outcome'],
        registers,
      });
      for (const outcome of ['issued', 'renewed', 'failed']) c.labels(outcome).inc(0);
      return c;
    })(),
    canaryForceIgnored: new Counter({
      name: 'junction_canary_force_ignored_total',
      help: 'Forced-backend headers or cookies that named no backend of the split (ignored)',
      labelNames: ['route'],
      registers,
    }),
  };
}
