import type { ServerResponse } from 'node:http';
import { JunctionError } from '../../errors/junction-error.js';
import type { FieldError } from '../../config/issues.js';
import { isStoreError } from '../../config/store/errors.js';
import { sendJson } from '../http-util.js';

/** Stable codes of the admin API's error bodies (docs/api.md lists them with their statuses). */
export const ApiErrorCode = {
  badRequest: 'bad_request',
  invalidDocument: 'invalid_document',
  invalidId: 'invalid_id',
  notFound: 'not_found',
  preconditionFailed: 'precondition_failed',
  conflict: 'conflict',
  inUse: 'in_use',
  bodyTooLarge: 'body_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  storeUnavailable: 'store_unavailable',
  storeError: 'store_error',
  upgradeRequired: 'upgrade_required',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** An admin API failure: the status, the stable code, a message, and extra body fields. */
export class ApiError extends JunctionError {
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(status: number, code: ApiErrorCode, message: string, extra: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(code, status, message, options);
    this.extra = extra;
  }
}

/** 400 `invalid_document` with every error, each naming its field. */
export function invalidDocument(errors: readonly FieldError[], message?: string): ApiError {
  const first = errors[0];
  const summary = message ?? (first ? `${first.field}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}` : 'invalid');
  return new ApiError(400, ApiErrorCode.invalidDocument, summary, { errors });
}

/** Maps store failures to answers: unreachable 503, malformed 400, the rest 500. */
export function fromStoreError(err: unknown): ApiError | undefined {
  if (!isStoreError(err)) return undefined;
  switch (err.code) {
    case 'store_unavailable':
    case 'store_closed':
      return new ApiError(503, ApiErrorCode.storeUnavailable, `the configuration store cannot be reached: ${err.message}`, {}, { cause: err });
    case 'invalid_key':
    case 'invalid_request':
      return new ApiError(400, ApiErrorCode.badRequest, err.message, {}, { cause: err });
    default:
      return new ApiError(500, ApiErrorCode.storeError, `the configuration store failed: ${err.message}`, {}, { cause: err });
  }
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, { error: err.code, message: err.message, ...err.extra });
}
