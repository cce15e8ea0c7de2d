import assert from 'node:assert/strict';
import type { StoreEvent, StoreUpdate } from '../../src/config/store/types.js';

/** Records a store watch's updates (`onUpdate` is the watch callback). */
export class Recorder {
  readonly updates: StoreUpdate[] = [];
  readonly onUpdate = (u: StoreUpdate): void => {
    this.updates.push(u);
  };

  events(): StoreEvent[] {
    return this.updates.flatMap((u) => (u.kind === 'changes' ? [...u.events] : []));
  }

  untilKey(key: string, timeoutMs = 20_000): Promise<number> {
    return until(`an event on ${key}`, () => this.events().some((e) => e.key === key), timeoutMs, () => JSON.stringify(this.updates));
  }
}

/** Polls `pred` every 25 ms until it holds; fails the test after `timeoutMs`. Resolves with the time it took. */
export async function until(what: string, pred: () => boolean | Promise<boolean>, timeoutMs = 15_000, detail?: () => string): Promise<number> {
  const start = Date.now();
  while (!(await pred())) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}
