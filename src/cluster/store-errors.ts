import { StoreError, StoreUnavailableError, type StoreErrorCode } from '../config/store/errors.js';
import { STORE_ERRORS } from '../errors/catalogue.js';
import { IpcCallError } from './ipc-channel.js';

const CODES: ReadonlySet<string> = new Set(STORE_ERRORS);

/** A store error raised in the primary, seen in a worker: the same code and message. */
export class RemoteStoreError extends StoreError {
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * Turns a failed call to the primary's store back into a store error with the code it had there,
 * so the admin API maps it exactly as it would in a single process (503 unavailable, 400 bad key,
 * 500 other). A call that never got an answer (the primary is gone or stuck) is "store unavailable".
 */
export function storeErrorFromIpc(err: unknown): StoreError {
  if (!(err instanceof IpcCallError)) return new RemoteStoreError('store_error', err instanceof Error ? err.message : String(err), { cause: err });
  if (err.code !== 'ipc_remote_error') return new StoreUnavailableError(`the primary process did not answer: ${err.message}`, { cause: err });
  const code = err.remoteCode !== undefined && CODES.has(err.remoteCode) ? (err.remoteCode as StoreErrorCode) : 'store_error';
  return new RemoteStoreError(code, err.message, { cause: err });
}
