import type { Duplex } from 'node:stream';
import { sendErrorOnSocket } from '../errors/error-response.js';
import { HttpError } from '../errors/junction-error.js';
import type { RouteSeries } from '../observability/route-series.js';

interface ParserError extends Error {
  code?: string;
}

const HEADERS_TOO_LARGE = new HttpError('headers_too_large', 'the request headers are too large');
const REQUEST_TIMEOUT = new HttpError('request_timeout', 'the request took too long to arrive');
const MALFORMED = new HttpError('bad_request', 'the request is malformed');

/**
 * Answers requests Node's HTTP parser refused before Junction saw them: 431 for oversized
 * headers, 408 for headers that took too long, 400 for anything malformed (including
 * `Content-Length` together with `Transfer-Encoding`). Never reaches an upstream.
 */
export function handleClientError(err: ParserError, socket: Duplex, series: RouteSeries): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer = err.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? REQUEST_TIMEOUT : MALFORMED;
  series.record(answer.status, 0);
  sendErrorOnSocket(socket, answer);
}
