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
  const kind = refusedResponse(err) ? 'protocol' : kindOfCode(errorCode(err));
  const message = messageFor(kind);
  const error =
    kind === 'timeout' || kind === 'connect_timeout'
      ? new HttpError('upstream_timeout', message, {}, { cause: err })
      : new HttpError('upstream_error', message, {}, { cause: err });
  return { kind, error };
}

function kindOfCode(code: string | undefined): UpstreamErrorKind {
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return 'connect';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return 'connect_timeout';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'reset';
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'UND_ERR_INFO':
    case 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH':
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return 'protocol';
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return 'closed';
    case 'UND_ERR_INVALID_ARG':
    case 'UND_ERR_NOT_SUPPORTED':
      return 'local';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'CERT_UNTRUSTED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'tls';
    default:
      if (typeof code !== 'string') return 'other';
      if (code.startsWith('HPE_')) return 'protocol';
      return code.startsWith('ERR_SSL_') ? 'tls' : 'other';
  }
}

/**
 * undici refused what the server sent and closed the connection: an unsolicited `100 Continue`
 * (RFC 9110 §15.2 lets a server send one; undici 7 takes none), or a response with no request
 * waiting. The server answered, so this is a protocol failure, not an unreachable server. undici
 * gives it no code of its own (a `UND_ERR_SOCKET` with no socket error inside, like "other side
 * closed"): this is the one place Junction reads an error's message, and
 * test/proxy/upstream-errors.test.ts pins undici's wording so an undici upgrade cannot change it
 * silently.
 */
function refusedResponse(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as CodedError & { message?: unknown };
  return e.code === 'UND_ERR_SOCKET' && e.cause === undefined && e.message === 'bad response';
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

/**
 * Whether a failure of this kind says the server is unreachable (passive ejection counts it):
 * not for `local` (undici refused the request before anything was sent) nor `protocol` (the server
 * answered something undici could not take) nor `closed` (Junction closed the pool).
 */
export function countsAsUnreachable(kind: UpstreamErrorKind): boolean {
  return kind !== 'local' && kind !== 'protocol' && kind !== 'closed';
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
    case 'local':
      return 'the request could not be sent upstream';
    case 'tls':
      return 'the TLS handshake with the upstream server failed (its certificate, name or TLS version)';
    default:
      return 'the upstream request failed';
  }
}
