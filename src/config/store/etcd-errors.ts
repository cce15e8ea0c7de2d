import {
  ClientClosedError,
  EtcdAuthenticationFailedError,
  EtcdError,
  EtcdInvalidAuthTokenError,
  EtcdPermissionDeniedError,
  GRPCInvalidArgumentError,
  GRPCOutOfRangeError,
  GRPCFailedPreconditionError,
  GRPCUnauthenticatedError,
  isRecoverableError,
} from 'etcd3';
import {
  InvalidRequestError,
  StoreClosedError,
  StoreError,
  StoreForbiddenError,
  StoreOperationError,
  StoreUnauthorizedError,
  StoreUnavailableError,
} from './errors.js';

/** true for failures that mean "etcd cannot be reached right now" (not "etcd refused the request"). */
export function isConnectivityError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return isRecoverableError(err) || 'isBrokenCircuitError' in err || 'isTaskCancelledError' in err;
}

/**
 * How etcd refused Junction's identity, if it did:
 * - `unauthorized`: the user name or password was refused, or auth is not enabled on the cluster;
 * - `token`: the auth token is no longer valid (etcd restarted: simple tokens live in its memory;
 *   or the token's TTL ran out). Authenticating again fixes it;
 * - `forbidden`: authenticated, but the user's roles do not allow the request.
 */
export type AuthFailure = 'unauthorized' | 'token' | 'forbidden';

const AUTH_NOT_ENABLED = 'authentication is not enabled';

export function authFailure(err: unknown): AuthFailure | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err instanceof EtcdAuthenticationFailedError) return 'unauthorized';
  if (err instanceof GRPCFailedPreconditionError && err.message.includes(AUTH_NOT_ENABLED)) return 'unauthorized';
  if (err instanceof EtcdInvalidAuthTokenError || err instanceof GRPCUnauthenticatedError) return 'token';
  if (err instanceof EtcdPermissionDeniedError) return 'forbidden';
  return undefined;
}

/**
 * Maps an etcd3 / gRPC error to the store's typed errors (the original is kept as `cause`).
 * `user` (the `--etcd-user`, if any) makes refusals say whose credentials were refused; etcd's
 * messages never carry the password, and neither do these.
 */
export function toStoreError(err: unknown, what: string, user?: string): StoreError {
  if (err instanceof StoreError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof ClientClosedError) return new StoreClosedError();
  if (isConnectivityError(err)) return new StoreUnavailableError(`etcd ${what} failed: ${msg}`, { cause: err });
  const auth = authFailure(err);
  if (auth === 'unauthorized' || auth === 'token') return new StoreUnauthorizedError(`etcd ${what} failed: ${unauthorizedReason(err as Error, user)}`, { cause: err });
  if (auth === 'forbidden') {
    const who = user === undefined ? 'the client certificate or anonymous user' : `etcd user ${JSON.stringify(user)}`;
    return new StoreForbiddenError(`etcd refused ${what}: permission denied (the roles of ${who} do not allow it)`, { cause: err });
  }
  if (err instanceof GRPCInvalidArgumentError || err instanceof GRPCOutOfRangeError || err instanceof GRPCFailedPreconditionError) {
    return new InvalidRequestError(`etcd refused ${what}: ${msg}`, { cause: err });
  }
  if (err instanceof EtcdError) return new StoreOperationError(`etcd ${what} failed: ${msg}`, { cause: err });
  return new StoreOperationError(`etcd ${what} failed: ${msg}`, { cause: err });
}

function unauthorizedReason(err: Error, user: string | undefined): string {
  if (err.message.includes(AUTH_NOT_ENABLED)) {
    return `etcd has authentication disabled, yet a user (${JSON.stringify(user)}) was given: drop --etcd-user, or enable authentication in etcd`;
  }
  if (err instanceof EtcdAuthenticationFailedError) {
    return `authentication failed: etcd refused the password of user ${JSON.stringify(user)} (or there is no such user)`;
  }
  return `etcd refused the auth token (${err.message})`;
}
