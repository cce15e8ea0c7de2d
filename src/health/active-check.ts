import type { Pool } from 'undici';
import type { ResolvedHealthCheck } from '../config/defaults.js';

/**
 * Active HTTP health checks of one server: every `intervalMs`, `GET path` over the server's own
 * pool, bounded by `timeoutMs`; a 2xx/3xx answer is a pass. `healthy` passes in a row make an
 * unhealthy server healthy again, `unhealthy` failures in a row make a healthy one unhealthy. A
 * server starts healthy (so a configuration change never starts with an outage).
 */
export class ActiveCheck {
  #healthy = true;
  #passes = 0;
  #fails = 0;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #stopped = false;
  lastError: string | undefined;

  constructor(
    readonly pool: Pool,
    private readonly origin: string,
    readonly settings: ResolvedHealthCheck,
    private readonly onChange: (healthy: boolean, reason: string) => void,
    /** an https:// server's TLS name for each check, as requests dispatch it (UpstreamTls) */
    private readonly servername?: string,
  ) {}

  get healthy(): boolean {
    return this.#healthy;
  }

  start(): void {
    this.#timer = setInterval(() => void this.#check(), this.settings.intervalMs);
    this.#timer.unref();
    void this.#check();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    if (this.#running || this.#stopped) return;
    this.#running = true;
    const { path, timeoutMs } = this.settings;
    let ok = false;
    let reason = '';
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    try {
      const options: Parameters<Pool['request']>[0] & { servername?: string } = {
        origin: this.origin,
        path,
        method: 'GET',
        headers: { 'user-agent': 'junction-health-check', 'x-junction-health-check': '1' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: ac.signal,
        // the same name as requests: undici reconnects when a request's servername differs from the connection's
        servername: this.servername,
      };
      const res = await this.pool.request(options);
      await res.body.dump();
      ok = res.statusCode >= 200 && res.statusCode < 400;
      reason = ok ? `GET ${path} answered ${res.statusCode}` : `GET ${path} answered ${res.statusCode}`;
    } catch (err) {
      reason = `GET ${path} failed: ${(err as { code?: string }).code ?? (err as Error).message}`;
    } finally {
      clearTimeout(timer);
      this.#running = false;
    }
    if (this.#stopped) return;
    this.lastError = ok ? undefined : reason;
    if (ok) {
      this.#fails = 0;
      if (!this.#healthy && ++this.#passes >= this.settings.healthy) {
        this.#healthy = true;
        this.#passes = 0;
        this.onChange(true, reason);
      }
    } else {
      this.#passes = 0;
      if (this.#healthy && ++this.#fails >= this.settings.unhealthy) {
        this.#healthy = false;
        this.#fails = 0;
        this.onChange(false, reason);
      }
    }
  }
}
