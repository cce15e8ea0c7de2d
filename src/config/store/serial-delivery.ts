import type { Logger } from 'pino';
import type { StoreUpdate } from './types.js';

/**
 * Delivers a watch's updates to its consumer strictly in order, one at a time, never synchronously
 * inside the caller of `push` (so never inside a store write), and survives a consumer that throws.
 */
export class SerialDelivery {
  private queue: StoreUpdate[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly onUpdate: (update: StoreUpdate) => void,
    private readonly log: Logger | undefined,
  ) {}

  push(update: StoreUpdate): void {
    if (this.closed) return;
    this.queue.push(update);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  close(): void {
    this.closed = true;
    this.queue = [];
  }

  private drain(): void {
    this.scheduled = false;
    while (!this.closed) {
      const update = this.queue.shift();
      if (update === undefined) return;
      try {
        this.onUpdate(update);
      } catch (err) {
        this.log?.error(
          { err, kind: update.kind, revision: update.kind === 'changes' ? update.revision : update.snapshot.revision },
          'configuration watch consumer threw; continuing with the next update',
        );
      }
    }
  }
}
