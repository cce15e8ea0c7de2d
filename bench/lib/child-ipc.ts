import type { Managed } from './process-group.js';
import { within } from './time.js';

/** Messages the bench's own Node children send over IPC. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly port: number;
}

/** Child side: exit when the bench driver goes away, so no child outlives it. */
export function exitWithParent(onExit?: () => void): void {
  process.on('disconnect', () => {
    onExit?.();
    process.exit(0);
  });
}

/** Child side: tell the driver that we listen on `port`. */
export function reportReady(port: number): void {
  const msg: ReadyMessage = { type: 'ready', port };
  process.send?.(msg);
}

/** Parent side: the first IPC message of `type`; rejects (with the child's output) if it exits first or after `timeoutMs`. */
export async function waitForMessage<T extends { type: string }>(m: Managed, type: T['type'], timeoutMs: number): Promise<T> {
  let onMessage: ((msg: unknown) => void) | undefined;
  const message = new Promise<T>((resolve) => {
    onMessage = (msg: unknown) => {
      if (typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === type) resolve(msg as T);
    };
    m.child.on('message', onMessage);
  });
  const died = m.exited.then((e) => {
    throw new Error(`${m.name} exited (code ${e.code}, signal ${e.signal}) before '${type}'${m.output() ? `:\n${m.output()}` : ''}`);
  });
  try {
    return await within(Promise.race([message, died]), timeoutMs, `${m.name}: '${type}' message`);
  } finally {
    if (onMessage) m.child.off('message', onMessage);
  }
}

/** Argument value after `--name`, or `fallback`. */
export function argValue(argv: readonly string[], name: string, fallback?: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`missing --${name}`);
}
