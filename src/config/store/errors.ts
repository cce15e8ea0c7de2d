import type { StoreErrorCode } from '../../errors/catalogue.js';
import { JunctionError } from '../../errors/junction-error.js';

/**
 * Typed errors of the configuration stores (their codes are in errors/catalogue.ts). Callers
 * branch on `code`, never on message text. Every class keeps the underlying error (if any) as `cause`.
 */

export type { StoreErrorCode };

export abstract class StoreError extends JunctionError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Another live process (or this one) holds the embedded store's lock file. */
export class StoreLockedError extends StoreError {
  constructor(
    readonly lockPath: string,
    readonly holderPid: number | undefined,
    message?: string,
  ) {
    super(
      'store_locked',
      message ??
        `embedded store is locked by ${holderPid === undefined ? 'another process' : `process ${holderPid}`} (${lockPath}); ` +
          'stop that process, or delete the lock file if it is not running',
    );
  }
}

/** The embedded store's file cannot be read as a store. It is never emptied or overwritten. */
export class StoreCorruptError extends StoreError {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('store_corrupt', `embedded store file ${path} is corrupt: ${reason}; restore it from a backup or move it away`, options);
  }
}

/** The store cannot be reached (etcd down, partitioned, no quorum, deadline exceeded). */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_unavailable', message, options);
  }
}

/**
 * etcd refused Junction's credentials: a wrong `--etcd-user` or password, or a user given to a
 * cluster without authentication. The message never contains the password.
 */
export class StoreUnauthorizedError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_unauthorized', message, options);
  }
}

/** etcd authenticated Junction but its role does not allow the call (e.g. no read on the prefix). */
export class StoreForbiddenError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_forbidden', message, options);
  }
}

/** The store was closed; the call was not made. */
export class StoreClosedError extends StoreError {
  constructor(message = 'the configuration store is closed') {
    super('store_closed', message);
  }
}

/** The embedded store could not read or write its files (disk full, permissions...). */
export class StoreIoError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_io', message, options);
  }
}

/** A key outside the store's prefix (every key must start with `prefix + '/'`). */
export class InvalidKeyError extends StoreError {
  constructor(
    readonly key: string,
    readonly prefix: string,
  ) {
    super('invalid_key', `key ${JSON.stringify(key)} is outside the store prefix ${JSON.stringify(prefix + '/')}`);
  }
}

/** A request the store refuses as malformed (duplicate keys in a txn, bad TTL, future revision, too large...). */
export class InvalidRequestError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_request', message, options);
  }
}

/** Any other failure reported by the store. */
export class StoreOperationError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('store_error', message, options);
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
