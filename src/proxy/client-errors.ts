import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RouteSeries } from '../observability/route-series.js';

interface ParserError extends Error {
  code?: string;
}

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
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request took too long to arrive']
        : [400, 'bad_request', 'the request is malformed'];
  series.record(status, 0);
  const body = JSON.stringify({ error: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
