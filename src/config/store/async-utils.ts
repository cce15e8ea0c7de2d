/** Small timing helpers shared by the stores. Timers are unref'd: they never keep a process alive. */

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Resolves with the promise's value, or with `undefined` after `ms` (the promise keeps running). */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Capped exponential backoff with full jitter in [d/2, d]: attempt 1 -> ~base, doubling up to cap. */
export function backoffMs(attempt: number, baseMs: number, capMs: number): number {
  const d = Math.min(capMs, baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
