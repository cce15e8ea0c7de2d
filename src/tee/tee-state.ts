import CircuitBreaker from 'opossum';
import type { Counter } from 'prom-client';
import type { ResolvedTee } from '../config/defaults.js';
import type { Metrics } from '../observability/metrics.js';
import { differences, type Mismatch, type ResponseDigest } from './response-digest.js';
import { TEE_OUTCOMES, type TeeOutcome } from './outcomes.js';
import { Sampler } from './sampler.js';
import { TokenBucket } from './token-bucket.js';

const MISMATCH_SAMPLES = 20;

type CounterChild = ReturnType<Counter<'route' | 'backend' | 'outcome'>['labels']>;

/**
 * The long-lived state of one tee (route id, route revision, position, shadow backend): what is in
 * flight, the rate bucket, the shadow breaker, the counts behind the fidelity report and the last
 * compare mismatches. It survives configuration swaps until the route's document changes.
 */
export class TeeState {
  readonly route: string;
  readonly backend: string;
  readonly spec: ResolvedTee;
  readonly sampler: Sampler;
  readonly bucket: TokenBucket | undefined;
  /**
   * Opens while the shadow fails (half of at least 10 copies in 10 s); while open, copies are
   * dropped (`dropped_breaker`) without being sent; after 5 s one copy probes the shadow again.
   * What it fires is the function that starts a shadow request, so an open breaker sends nothing.
   */
  readonly breaker: CircuitBreaker<[() => Promise<void>], void>;
  inFlight = 0;
  offered = 0;
  readonly counts: Record<TeeOutcome, number>;
  durationMsTotal = 0;
  matches = 0;
  mismatches = 0;
  readonly samples: Mismatch[] = [];
  readonly #outcomes: Record<TeeOutcome, CounterChild>;
  readonly #metrics: Metrics;

  constructor(route: string, backend: string, spec: ResolvedTee, metrics: Metrics, now: () => number) {
    this.route = route;
    this.backend = backend;
    this.spec = spec;
    this.#metrics = metrics;
    this.sampler = new Sampler(spec.percent, spec.sampleKey);
    this.bucket = spec.maxRps > 0 ? new TokenBucket(spec.maxRps, now) : undefined;
    this.counts = Object.fromEntries(TEE_OUTCOMES.map((o) => [o, 0])) as Record<TeeOutcome, number>;
    this.#outcomes = Object.fromEntries(TEE_OUTCOMES.map((o) => [o, metrics.teeRequests.labels(route, backend, o)])) as Record<
      TeeOutcome,
      CounterChild
    >;
    this.breaker = new CircuitBreaker((start: () => Promise<void>) => start(), {
      timeout: false,
      errorThresholdPercentage: 50,
      volumeThreshold: 10,
      resetTimeout: 5000,
      rollingCountTimeout: 10_000,
      enableSnapshots: false,
    } as CircuitBreaker.Options);
  }

  count(outcome: TeeOutcome): void {
    this.counts[outcome]++;
    this.#outcomes[outcome].inc();
  }

  done(ok: boolean, ms: number): void {
    this.inFlight--;
    this.count(ok ? 'completed' : 'failed');
    if (ok) {
      this.durationMsTotal += ms;
      this.#metrics.teeDuration.labels(this.route, this.backend).observe(ms / 1000);
    }
  }

  compare(primary: ResponseDigest, shadow: ResponseDigest, requestId: string, method: string, url: string): void {
    const diff = differences(primary, shadow, this.spec.compareHeaders);
    this.#metrics.teeCompare.labels(this.route, this.backend, diff ? 'mismatch' : 'match').inc();
    if (!diff) {
      this.matches++;
      return;
    }
    this.mismatches++;
    this.samples.push({ at: new Date().toISOString(), requestId, method, url, ...diff });
    if (this.samples.length > MISMATCH_SAMPLES) this.samples.shift();
  }

  /** The fidelity report of `GET /api/v1/status` → tee. */
  report() {
    const c = this.counts;
    const sent = c.sent;
    return {
      route: this.route,
      backend: this.backend,
      intendedPercent: this.spec.percent,
      achievedPercent: this.offered === 0 ? 0 : (100 * sent) / this.offered,
      offered: this.offered,
      sent,
      inFlight: this.inFlight,
      completed: c.completed,
      failed: c.failed,
      dropped: { inflight: c.dropped_inflight, rate: c.dropped_rate, breaker: c.dropped_breaker },
      skipped: { sample: c.skipped_sample, method: c.skipped_method, body: c.skipped_body },
      meanLatencyMs: c.completed === 0 ? null : this.durationMsTotal / c.completed,
      breakerOpen: this.breaker.opened,
      ...(this.spec.compare
        ? {
            compare: {
              matches: this.matches,
              mismatches: this.mismatches,
              matchRate: this.matches + this.mismatches === 0 ? null : this.matches / (this.matches + this.mismatches),
              headers: this.spec.compareHeaders,
              recentMismatches: this.samples,
            },
          }
        : {}),
    };
  }

  close(): void {
    this.breaker.shutdown();
  }
}
