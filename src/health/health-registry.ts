import type { Logger } from 'pino';
import type { BackendConfig, ServerConfig } from '../config/snapshot.js';
import type { JunctionEvents } from '../observability/events.js';
import type { Metrics } from '../observability/metrics.js';
import { SeriesOwners } from '../observability/series-owners.js';
import type { Lease } from '../lease/lease.js';
import { LeaseTable } from '../lease/lease-table.js';
import { ActiveCheck } from './active-check.js';
import type CircuitBreaker from 'opossum';
import type { ResolvedBreaker } from '../config/defaults.js';
import type { Attempt, UpstreamHandle } from '../contracts/server.js';
import { breakerSettingsKey, createBreaker } from './breaker.js';
import { BucketClocks } from './bucket-clocks.js';
import { OutlierDetector } from './outlier.js';
import { ServerHealth } from './server-health.js';

/** The identity of a server's health state. */
function healthKey(backend: string, server: string, url: string): string {
  return `${backend}\u0000${server}\u0000${url}`;
}

/**
 * The ServerHealth of every (backend, server, url), kept across configuration swaps so breakers,
 * ejections and check streaks survive unrelated changes. Changing a backend's breaker or
 * health-check settings replaces that part (fresh state with the new settings); when the last
 * lease on a server's state is released (the server left), its timers stop and its series go —
 * unless the server's state under its new URL writes them (the series are per backend and server).
 */
export class HealthRegistry {
  readonly #entries = new LeaseTable<ServerHealth>((h) => this.#release(h));
  readonly #clocks = new BucketClocks();
  /** live states per (backend, server) series */
  readonly #series = new SeriesOwners();

  constructor(private readonly deps: { metrics: Metrics; logger: Logger; events: JunctionEvents; now?: () => number }) {}

  acquire(backend: BackendConfig, server: ServerConfig, upstream: UpstreamHandle): Lease<ServerHealth> {
    const bKey = breakerSettingsKey(backend.breaker);
    const lease = this.#entries.acquire(healthKey(backend.id, server.id, server.url), () => this.#create(backend, server, bKey));
    const h = lease.value;
    if (h.breakerKey !== bKey) {
      h.resetBreaker(backend.breaker, bKey);
      this.deps.metrics.breakerOpen.labels(backend.id, server.id).set(0);
    }
    const hc = backend.healthCheck;
    const hcKey = hc === undefined ? undefined : JSON.stringify(hc);
    if (h.active !== undefined && (hcKey === undefined || JSON.stringify(h.active.settings) !== hcKey || h.active.pool !== upstream.pool)) {
      h.active.stop();
      h.active = undefined;
      this.#healthChanged(h, 'health checks changed');
    }
    if (hc !== undefined && h.active === undefined) {
      h.active = new ActiveCheck(upstream.pool, upstream.origin, hc, (_healthy, reason) => this.#healthChanged(h, reason), upstream.tls?.dispatchName);
      h.active.start();
    }
    return lease;
  }

  states() {
    return [...this.#entries.values()].map((h) => h.state());
  }

  /** Stops every state's timers (shutdown); leases still held release nothing. */
  close(): void {
    for (const h of this.#entries.clear()) h.close();
    this.#clocks.close();
  }

  #create(backend: BackendConfig, server: ServerConfig, bKey: string): ServerHealth {
    const outlier = new OutlierDetector(this.deps.now ?? Date.now, (ejected, until) => {
      this.#healthChanged(h, ejected ? `ejected after consecutive failures until ${new Date(until).toISOString()}` : 'ejection ended');
    });
    const h: ServerHealth = new ServerHealth(backend.id, server.id, server.url, backend.breaker, bKey, outlier, (settings) => this.#newBreaker(h, settings));
    this.deps.metrics.serverHealthy.labels(backend.id, server.id).set(1);
    this.deps.metrics.breakerOpen.labels(backend.id, server.id).set(0);
    this.#series.add(`${backend.id}\u0000${server.id}`);
    return h;
  }

  /** the last lease on a state went: stop its timers, remove its series unless a live state writes them */
  #release(h: ServerHealth): void {
    h.close();
    if (!this.#series.remove(`${h.backend}\u0000${h.server}`)) return;
    this.deps.metrics.serverHealthy.remove({ backend: h.backend, server: h.server });
    this.deps.metrics.breakerOpen.remove({ backend: h.backend, server: h.server });
  }

  /** a server's breaker, made on its first request, reporting its state changes */
  #newBreaker(h: ServerHealth, settings: ResolvedBreaker): CircuitBreaker<[Attempt], void> {
    const { metrics, logger, events } = this.deps;
    const b = createBreaker(settings, this.#clocks);
    const report = (state: 'open' | 'half-open' | 'closed') => {
      if (!h.isCurrent(b)) return; // a replaced breaker
      metrics.breakerOpen.labels(h.backend, h.server).set(state === 'open' ? 1 : 0);
      (state === 'open' ? logger.warn : logger.info).call(logger, { backend: h.backend, server: h.server, breaker: state }, `breaker ${state}: server ${h.server} of backend ${h.backend}`);
      events.emit({ type: 'breaker.changed', backend: h.backend, server: h.server, state });
    };
    b.on('open', () => report('open'));
    b.on('halfOpen', () => report('half-open'));
    b.on('close', () => report('closed'));
    return b;
  }

  #healthChanged(h: ServerHealth, reason: string): void {
    const healthy = h.healthy;
    this.deps.metrics.serverHealthy.labels(h.backend, h.server).set(healthy ? 1 : 0);
    (healthy ? this.deps.logger.info : this.deps.logger.warn).call(
      this.deps.logger,
      { backend: h.backend, server: h.server, healthy, reason },
      `server ${h.server} of backend ${h.backend} is ${healthy ? 'healthy' : 'unhealthy'}: ${reason}`,
    );
    this.deps.events.emit({ type: 'health.changed', backend: h.backend, server: h.server, healthy, reason });
  }
}
