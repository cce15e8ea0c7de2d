import type { Logger } from 'pino';
import type { EphemeralKey } from '../config/store/types.js';

/**
 * Writes this instance's InstanceStatus under `P/status/<instance>` (a lease in etcd), at most
 * once per `minIntervalMs`, always ending with the latest document. Failures are logged and
 * retried with the next change; they never disturb traffic.
 */
export class StatusReporter {
  #latest: string | undefined;
  #written: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing = false;
  #closed = false;

  constructor(
    private readonly key: EphemeralKey,
    private readonly logger: Logger,
    private readonly minIntervalMs = 250,
  ) {}

  report(doc: unknown): void {
    if (this.#closed) return;
    this.#latest = JSON.stringify(doc);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#writing) return;
    this.#timer = setTimeout(() => void this.#write(), this.minIntervalMs);
    this.#timer.unref();
  }

  async #write(): Promise<void> {
    this.#timer = undefined;
    const value = this.#latest;
    if (value === undefined || value === this.#written || this.#closed) return;
    this.#writing = true;
    try {
      await this.key.set(value);
      this.#written = value;
    } catch (err) {
      this.logger.warn({ err }, 'could not write the instance status key; will retry');
      setTimeout(() => this.#schedule(), 2000).unref();
    } finally {
      this.#writing = false;
    }
    if (this.#latest !== this.#written) this.#schedule();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.key.close().catch((err: unknown) => this.logger.warn({ err }, 'could not remove the instance status key'));
  }
}
