import type { FieldError } from '../../config/issues.js';
import { isStoreError } from '../../config/store/errors.js';
import { HttpError } from '../../errors/junction-error.js';

/** 400 `invalid_document` with every error, each naming its field. */
export function invalidDocument(errors: readonly FieldError[], message?: string): HttpError {
  const first = errors[0];
  const summary = message ?? (first ? `${first.field}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}` : 'invalid');
  return new HttpError('invalid_document', summary, { errors });
}

/** Maps store failures to answers: unreachable 503, malformed 400, the rest 500. */
export function fromStoreError(err: unknown): HttpError | undefined {
  if (!isStoreError(err)) return undefined;
  switch (err.code) {
    case 'store_unavailable':
    case 'store_closed':
      return new HttpError('store_unavailable', `the configuration store cannot be reached: ${err.message}`, {}, { cause: err });
    case 'invalid_key':
    case 'invalid_request':
      return new HttpError('bad_request', err.message, {}, { cause: err });
    default:
      return new HttpError('store_error', `the configuration store failed: ${err.message}`, {}, { cause: err });
  }
}
