export interface ServerLoadOptions {
  /** Monotonic clock in ms. Default: performance.now. */
  readonly now?: () => number;
  /** Peak-EWMA time constant in ms: how fast the estimate forgets. Default 10_000. */
  readonly decayMs?: number;
  /**
   * Latency in ms that a failed request counts as, at least (a fast failure must not make a
   * server look fast). Also the pessimistic estimate of a server that has a request in flight
   * but no sample yet. Default 5_000.
   */
  readonly failurePenaltyMs?: number;
}

export const DEFAULT_DECAY_MS = 10_000;
export const DEFAULT_FAILURE_PENALTY_MS = 5_000;

/**
 * Live load of one upstream server: requests in flight and a peak-EWMA of their latency
 * (as Finagle's and linkerd's PeakEwma). Long-lived: owned by the resource registry keyed by
 * server URL and shared by every snapshot and backend that uses that server, so it holds no
 * configuration (weight, id, state).
 *
 * Peak EWMA: a sample above the current estimate replaces it at once; a lower sample is
 * averaged in with weight 1 - exp(-Δt/decayMs), Δt being the time since the previous sample,
 * so the estimate is a time-weighted average whatever the request rate. Between samples the
 * estimate read by cost() decays toward 0 with the same time constant, so a server that was
 * slow, and was therefore avoided, is eventually probed again.
 *
 * A server with no sample yet costs 0 while it is idle (it wins any comparison, so it gets
 * tried at once), and failurePenaltyMs per request while its first requests are in flight (so
 * a new server that hangs gets one request, not a flood).
 */
export class ServerLoad {
  private readonly now: () => number;
  private readonly decayMs: number;
  private readonly penaltyMs: number;
  private pending = 0;
  private ewma = 0;
  private stamp = 0;
  private sampled = false;

  constructor(opts: ServerLoadOptions = {}) {
    this.now = opts.now ?? (() => performance.now());
    this.decayMs = positiveOr(opts.decayMs, DEFAULT_DECAY_MS);
    this.penaltyMs = positiveOr(opts.failurePenaltyMs, DEFAULT_FAILURE_PENALTY_MS);
  }

  /** Requests sent and not yet finished, across every balancer that shares this server. */
  get inFlight(): number {
    return this.pending;
  }

  /** True once a request has finished (successfully or not). */
  get hasSample(): boolean {
    return this.sampled;
  }

  /** The current peak-EWMA latency estimate in ms, decayed to now; 0 before the first sample. */
  get ewmaMs(): number {
    return this.sampled ? this.decayed(this.now()) : 0;
  }

  /** A request was sent to this server. */
  begin(): void {
    this.pending++;
  }

  /**
   * A request finished: latency to response headers (or to the error). `failed`: a connection
   * error, reset or timeout — it counts as at least failurePenaltyMs.
   */
  end(latencyMs: number, failed = false): void {
    if (this.pending > 0) this.pending--;
    let rtt = Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0;
    if (failed && rtt < this.penaltyMs) rtt = this.penaltyMs;
    const t = this.now();
    if (!this.sampled) {
      this.ewma = rtt;
      this.sampled = true;
    } else if (rtt >= this.decayed(t)) {
      this.ewma = rtt; // peak: jump up at once
    } else {
      const w = Math.exp(-Math.max(t - this.stamp, 0) / this.decayMs);
      this.ewma = this.ewma * w + rtt * (1 - w);
    }
    this.stamp = t;
  }

  /** Peak-EWMA latency x (inFlight + 1): the expected wait for one more request. Lower is better. */
  cost(): number {
    if (!this.sampled) return this.pending === 0 ? 0 : this.penaltyMs * (this.pending + 1);
    return this.decayed(this.now()) * (this.pending + 1);
  }

  private decayed(t: number): number {
    return this.ewma * Math.exp(-Math.max(t - this.stamp, 0) / this.decayMs);
  }
}

function positiveOr(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}
