import type CircuitBreaker from 'opossum';
import { breakerAllows, createBreaker, type Attempt } from './breaker.js';
import type { BucketClocks } from './bucket-clocks.js';
import type { ActiveCheck } from './active-check.js';
import type { OutlierDetector } from './outlier.js';
import type { ResolvedBreaker } from '../config/defaults.js';

/**
 * Everything that decides whether one server of one backend takes traffic right now: its breaker,
 * passive outlier ejection and (when configured) active health checks. Long-lived across
 * configuration swaps (owned by the HealthRegistry).
 */
export class ServerHealth {
  breaker: CircuitBreaker<[Attempt], void>;
  breakerKey: string;
  active: ActiveCheck | undefined;

  constructor(
    readonly backend: string,
    readonly server: string,
    readonly url: string,
    breaker: ResolvedBreaker,
    breakerKey: string,
    readonly outlier: OutlierDetector,
    clocks?: BucketClocks,
  ) {
    this.breaker = createBreaker(breaker, clocks);
    this.breakerKey = breakerKey;
  }

  /** healthy by checks and not ejected (what `junction_server_healthy` shows) */
  get healthy(): boolean {
    return (this.active === undefined || this.active.healthy) && !this.outlier.ejected;
  }

  /** may the balancer pick this server now? */
  available(): boolean {
    return breakerAllows(this.breaker) && this.healthy;
  }

  /** an attempt ended: feeds passive detection (the breaker learns from the attempt's promise) */
  record(ok: boolean): void {
    if (ok) this.outlier.success();
    else this.outlier.failure();
  }

  state() {
    return {
      backend: this.backend,
      server: this.server,
      url: this.url,
      healthy: this.healthy,
      breaker: this.breaker.opened ? 'open' : this.breaker.halfOpen ? 'half-open' : 'closed',
      ejected: this.outlier.ejected,
      activeCheck: this.active === undefined ? null : { healthy: this.active.healthy, lastError: this.active.lastError ?? null },
    };
  }

  close(): void {
    this.active?.stop();
    this.breaker.shutdown();
  }
}
