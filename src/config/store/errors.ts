/**
 * Typed errors of the configuration stores. Callers branch on `code`, never on message text.
 * Every class keeps the underlying error (if any) as `cause`.
 */

export const STORE_ERROR_CODES = [
  'store_locked',
  'store_corrupt',
  'store_unavailable',
  'store_closed',
  'store_io',
  'invalid_key',
  'invalid_request',
  'store_error',
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Another live process (or this one) holds the embedded store's lock file. */
export class StoreLockedError extends StoreError {
  readonly code = 'store_locked';
  constructor(
    readonly lockPath: string,
    readonly holderPid: number | undefined,
    message?: string,
  ) {
    super(
      message ??
        `embedded store is locked by ${holderPid === undefined ? 'another process' : `process ${holderPid}`} (${lockPath}); ` +
          'stop that process, or delete the lock file if it is not running',
    );
  }
}

/** The embedded store's file cannot be read as a store. It is never emptied or overwritten. */
export class StoreCorruptError extends StoreError {
  readonly code = 'store_corrupt';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`embedded store file ${path} is corrupt: ${reason}; restore it from a backup or move it away`, options);
  }
}

/** The store cannot be reached (etcd down, partitioned, no quorum, deadline exceeded). */
export class StoreUnavailableError extends StoreError {
  readonly code = 'store_unavailable';
}

/** The store was closed; the call was not made. */
export class StoreClosedError extends StoreError {
  readonly code = 'store_closed';
  constructor(message = 'the configuration store is closed') {
    super(message);
  }
}

/** The embedded store could not read or write its files (disk full, permissions...). */
export class StoreIoError extends StoreError {
  readonly code = 'store_io';
}

/** A key outside the store's prefix (every key must start with `prefix + '/'`). */
export class InvalidKeyError extends StoreError {
  readonly code = 'invalid_key';
  constructor(
    readonly key: string,
    readonly prefix: string,
  ) {
    super(`key ${JSON.stringify(key)} is outside the store prefix ${JSON.stringify(prefix + '/')}`);
  }
}

/** A request the store refuses as malformed (duplicate keys in a txn, bad TTL, future revision, too large...). */
export class InvalidRequestError extends StoreError {
  readonly code = 'invalid_request';
}

/** Any other failure reported by the store. */
export class StoreOperationError extends StoreError {
  readonly code = 'store_error';
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
