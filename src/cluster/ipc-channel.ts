import type { ProcessErrorCode } from '../errors/catalogue.js';
import { JunctionError } from '../errors/junction-error.js';

/**
 * One end of a message pipe between the primary and a worker: `process` in a worker,
 * `cluster.Worker` in the primary, or an in-memory pair in tests. Messages are plain JSON values.
 */
export interface IpcPort {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

/** A call across the pipe failed: the other side threw, went away, or did not answer in time. */
export class IpcCallError extends JunctionError {
  constructor(
    code: Extract<ProcessErrorCode, `ipc_${string}`>,
    message: string,
    /** the code of the error thrown on the other side, when it had one */
    readonly remoteCode?: string,
  ) {
    super(code, message);
  }
}

/** What crosses the pipe. Every Junction message carries `junction: 1` so other traffic (prom-client, cluster internals) is left alone. */
type Wire =
  | { readonly junction: 1; readonly kind: 'call'; readonly id: number; readonly op: string; readonly args: unknown }
  | { readonly junction: 1; readonly kind: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly junction: 1; readonly kind: 'reply'; readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly junction: 1; readonly kind: 'event'; readonly topic: string; readonly data: unknown };

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type CallHandler = (args: unknown) => unknown;
export type EventHandler = (data: unknown) => void;

function isWire(m: unknown): m is Wire {
  return typeof m === 'object' && m !== null && (m as { junction?: unknown }).junction === 1;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

/**
 * Request/response calls and one-way events over an {@link IpcPort}. Calls time out (the other
 * process may be gone); `close()` fails every pending call, so nothing waits forever.
 */
export class IpcChannel {
  readonly #port: IpcPort;
  readonly #handlers = new Map<string, CallHandler>();
  readonly #events = new Map<string, EventHandler>();
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  readonly #detach: () => void;
  #nextId = 1;
  #closed = false;

  constructor(port: IpcPort) {
    this.#port = port;
    this.#detach = port.onMessage((m) => this.#receive(m));
  }

  /** answers calls named `op`; the handler may return a promise */
  handle(op: string, handler: CallHandler): this {
    this.#handlers.set(op, handler);
    return this;
  }

  on(topic: string, handler: EventHandler): this {
    this.#events.set(topic, handler);
    return this;
  }

  emit(topic: string, data: unknown): void {
    if (this.#closed) return;
    this.#send({ junction: 1, kind: 'event', topic, data });
  }

  call<T = unknown>(op: string, args: unknown, timeoutMs = 10_000): Promise<T> {
    if (this.#closed) return Promise.reject(new IpcCallError('ipc_closed', `${op}: the process on the other end is gone`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new IpcCallError('ipc_timeout', `${op}: no answer from the other process within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      if (!this.#send({ junction: 1, kind: 'call', id, op, args })) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(new IpcCallError('ipc_closed', `${op}: the process on the other end is gone`));
      }
    });
  }

  /** fails pending calls and stops listening */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new IpcCallError('ipc_closed', `call ${id}: the channel closed before an answer came`));
    }
    this.#pending.clear();
  }

  #send(message: Wire): boolean {
    try {
      this.#port.send(message);
      return true;
    } catch {
      return false;
    }
  }

  #receive(m: unknown): void {
    if (!isWire(m) || this.#closed) return;
    if (m.kind === 'event') {
      this.#events.get(m.topic)?.(m.data);
    } else if (m.kind === 'call') {
      void this.#answer(m.id, m.op, m.args);
    } else {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new IpcCallError('ipc_remote_error', m.error.message, m.error.code), { remoteName: m.error.name }));
    }
  }

  async #answer(id: number, op: string, args: unknown): Promise<void> {
    const handler = this.#handlers.get(op);
    try {
      if (!handler) throw new IpcCallError('ipc_unknown_op', `no handler for ${op}`);
      const value = await handler(args);
      this.#send({ junction: 1, kind: 'reply', id, ok: true, value: value ?? null });
    } catch (err) {
      this.#send({ junction: 1, kind: 'reply', id, ok: false, error: toWireError(err) });
    }
  }
}
