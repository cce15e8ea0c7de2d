import type { Logger } from 'pino';
import type { StoreHealth } from './types.js';

/**
 * Connectivity state of a remote store. Fed by every successful exchange (`up`) and by failed
 * probes (`down`); logs once per change of state, however often a state is reported.
 */
export class ConnectionHealth {
  private state: 'unknown' | 'up' | 'down' = 'unknown';
  private lastContact = 0;
  private lastError: string | undefined;

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
    if (was === 'down') this.log?.info(`${this.what} reachable again`);
    else this.log?.info(`${this.what} reachable`);
  }

  down(error: string): void {
    this.lastError = error;
    if (this.state === 'down') return;
    this.state = 'down';
    this.log?.warn(
      { error, lastContactAt: this.lastContact === 0 ? undefined : new Date(this.lastContact).toISOString() },
      `${this.what} unreachable; serving the last configuration until it returns`,
    );
  }

  get connected(): boolean {
    return this.state === 'up';
  }

  snapshot(): StoreHealth {
    const connected = this.state === 'up';
    return {
      connected,
      lastContactAt: this.lastContact,
      ...(connected || this.lastError === undefined ? {} : { error: this.lastError }),
    };
  }
}
