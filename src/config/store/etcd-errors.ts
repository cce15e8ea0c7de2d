import {
  ClientClosedError,
  EtcdError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCFailedPreconditionError,
  isRecoverableError,
} from 'etcd3';
import { InvalidRequestError, StoreClosedError, StoreError, StoreOperationError, StoreUnavailableError } from './errors.js';

/** true for failures that mean "etcd cannot be reached right now" (not "etcd refused the request"). */
export function isConnectivityError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return isRecoverableError(err) || 'isBrokenCircuitError' in err || 'isTaskCancelledError' in err;
}

/** Maps an etcd3 / gRPC error to the store's typed errors (the original is kept as `cause`). */
export function toStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof ClientClosedError) return new StoreClosedError();
  if (isConnectivityError(err)) return new StoreUnavailableError(`etcd ${what} failed: ${msg}`, { cause: err });
  if (err instanceof GRPCInvalidArgumentError || err instanceof GRPCOutOfRangeError || err instanceof GRPCFailedPreconditionError) {
    return new InvalidRequestError(`etcd refused ${what}: ${msg}`, { cause: err });
  }
  if (err instanceof EtcdError) return new StoreOperationError(`etcd ${what} failed: ${msg}`, { cause: err });
  return new StoreOperationError(`etcd ${what} failed: ${msg}`, { cause: err });
}
