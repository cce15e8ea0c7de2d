import type CircuitBreaker from 'opossum';
import { breakerAllows } from './breaker.js';
import type { ActiveCheck } from './active-check.js';
import type { OutlierDetector } from './outlier.js';
import type { ResolvedBreaker } from '../config/defaults.js';
import type { Attempt, HealthGate } from '../contracts/server.js';

/**
 * Everything that decides whether one server of one backend takes traffic right now: its breaker,
 * passive outlier ejection and (when configured) active health checks. Long-lived across
 * configuration swaps (owned by the HealthRegistry).
 */
export class ServerHealth implements HealthGate {
  #breaker: CircuitBreaker<[Attempt], void> | undefined;
  #settings: ResolvedBreaker;
  breakerKey: string;
  active: ActiveCheck | undefined;

  constructor(
    readonly backend: string,
    readonly server: string,
    readonly url: string,
    settings: ResolvedBreaker,
    breakerKey: string,
    readonly outlier: OutlierDetector,
    private readonly makeBreaker: (settings: ResolvedBreaker) => CircuitBreaker<[Attempt], void>,
  ) {
    this.#settings = settings;
    this.breakerKey = breakerKey;
  }

  /**
   * The server's breaker, made on the first request through it: a configuration of 5,000 servers
   * loads without building 5,000 breakers (opossum's constructor was a fifth of the load), and a
   * server nobody sends to holds none. Until then the server counts as closed.
   */
  get breaker(): CircuitBreaker<[Attempt], void> {
    return (this.#breaker ??= this.makeBreaker(this.#settings));
  }

  /** whether `b` is this server's breaker now (a replaced one's late events are ignored) */
  isCurrent(b: CircuitBreaker<[Attempt], void>): boolean {
    return this.#breaker === b;
  }

  /** new breaker settings: the old breaker is shut down and the next request makes a fresh one */
  resetBreaker(settings: ResolvedBreaker, breakerKey: string): void {
    this.#breaker?.shutdown();
    this.#breaker = undefined;
    this.#settings = settings;
    this.breakerKey = breakerKey;
  }

  /** healthy by checks and not ejected (what `junction_server_healthy` shows) */
  get healthy(): boolean {
    return (this.active === undefined || this.active.healthy) && !this.outlier.ejected;
  }

  /** may the balancer pick this server now? */
  available(): boolean {
    const b = this.#breaker;
    return (b === undefined || breakerAllows(b)) && this.healthy;
  }

  /** an attempt ended: feeds passive detection (the breaker learns from the attempt's promise) */
  record(ok: boolean): void {
    if (ok) this.outlier.success();
    else this.outlier.failure();
  }

  state() {
    const b = this.#breaker;
    return {
      backend: this.backend,
      server: this.server,
      url: this.url,
      healthy: this.healthy,
      breaker: b === undefined ? 'closed' : b.opened ? 'open' : b.halfOpen ? 'half-open' : 'closed',
      ejected: this.outlier.ejected,
      activeCheck: this.active === undefined ? null : { healthy: this.active.healthy, lastError: this.active.lastError ?? null },
    };
  }

  close(): void {
    this.active?.stop();
    this.#breaker?.shutdown();
    this.#breaker = undefined;
  }
}
