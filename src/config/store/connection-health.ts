import type { Logger } from 'pino';
import type { StoreErrorCode } from './errors.js';
import type { StoreHealth } from './types.js';

/**
 * Connectivity state of a remote store. Fed by every successful exchange (`up`) and by failed
 * probes (`down`, with the code saying why: unreachable, credentials refused, no permission);
 * logs once per change of state or of reason, however often a state is reported.
 */
export class ConnectionHealth {
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private lastContact = 0;
  private lastError: string | undefined;
  private lastCode: StoreErrorCode | undefined;

  constructor(
    private readonly log: Logger | undefined,
    private readonly what: string,
  ) {}

  up(): void {
    this.lastContact = Date.now();
    if (this.state === 'up') return;
    const was = this.state;
    this.state = 'up';
    this.lastError = undefined;
    this.lastCode = undefined;
    if (was === 'down') this.log?.info(`${this.what} reachable again`);
    else this.log?.info(`${this.what} reachable`);
  }

  down(error: string, code: StoreErrorCode = 'store_unavailable'): void {
    this.lastError = error;
    if (this.state === 'down' && this.lastCode === code) return;
    this.state = 'down';
    this.lastCode = code;
    const lastContactAt = this.lastContact === 0 ? undefined : new Date(this.lastContact).toISOString();
    this.log?.warn({ error, code, lastContactAt }, `${this.what} ${REASONS[code] ?? 'failing'}; serving the last configuration until it returns`);
  }

  get connected(): boolean {
    return this.state === 'up';
  }

  /** why the store is down (undefined while up) */
  get code(): StoreErrorCode | undefined {
    return this.state === 'down' ? this.lastCode : undefined;
  }

  snapshot(): StoreHealth {
    const connected = this.state === 'up';
    return {
      connected,
      lastContactAt: this.lastContact,
      ...(connected || this.lastError === undefined ? {} : { error: this.lastError, ...(this.lastCode === undefined ? {} : { errorCode: this.lastCode }) }),
    };
  }
}

const REASONS: Partial<Record<StoreErrorCode, string>> = {
  store_unavailable: 'unreachable',
  store_unauthorized: 'refuses the credentials',
  store_forbidden: 'refuses to let its user read the prefix',
};
