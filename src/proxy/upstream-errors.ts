import type { UpstreamErrorKind } from '../contracts/backend.js';
import { HttpError } from '../errors/junction-error.js';

interface CodedError {
  code?: unknown;
  cause?: unknown;
}

/**
 * The single place undici and socket failures become client answers (DESIGN: branch on codes,
 * never on message text): timeouts → 504 `upstream_timeout`, everything else → 502
 * `upstream_error`. The kind is what the metric and retries (connect / reset / timeout) use.
 */
export function classifyUpstreamError(err: unknown): { kind: UpstreamErrorKind; error: HttpError } {
  const code = errorCode(err);
  let kind: UpstreamErrorKind;
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      kind = 'connect';
      break;
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      kind = 'connect_timeout';
      break;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      kind = 'timeout';
      break;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      kind = 'reset';
      break;
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'UND_ERR_INFO':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      kind = 'protocol';
      break;
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      kind = 'closed';
      break;
    default:
      kind = typeof code === 'string' && code.startsWith('HPE_') ? 'protocol' : 'other';
  }
  const message = messageFor(kind);
  const error =
    kind === 'timeout' || kind === 'connect_timeout'
      ? new HttpError('upstream_timeout', message, {}, { cause: err })
      : new HttpError('upstream_error', message, {}, { cause: err });
  return { kind, error };
}

function errorCode(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const code = (err as CodedError).code;
  if (code === 'UND_ERR_SOCKET') {
    // undici wraps socket failures; the socket's own code says more (ECONNRESET, EPIPE, ...)
    const cause = (err as CodedError).cause;
    const inner = cause !== null && typeof cause === 'object' ? (cause as CodedError).code : undefined;
    if (typeof inner === 'string') return inner;
  }
  return typeof code === 'string' ? code : undefined;
}

function messageFor(kind: UpstreamErrorKind): string {
  switch (kind) {
    case 'connect':
      return 'could not connect to the upstream server';
    case 'connect_timeout':
      return 'timed out connecting to the upstream server';
    case 'timeout':
      return 'the upstream server did not answer in time';
    case 'reset':
      return 'the upstream server closed the connection';
    case 'protocol':
      return 'the upstream server sent an invalid response';
    case 'closed':
      return 'the upstream connection pool was closed';
    default:
      return 'the upstream request failed';
  }
}
