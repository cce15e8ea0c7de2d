import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { sendErrorOnSocket } from '../errors/error-response.js';
import { HttpError } from '../errors/junction-error.js';
import type { RouteSeries } from '../observability/route-series.js';

interface ParserError extends Error {
  code?: string;
  /** the bytes the parser failed on (Node sets it for parse errors) */
  rawPacket?: Buffer;
}

/** A well-formed request line naming a version other than HTTP/1.x (`GET / HTTP/9.9`). */
const OTHER_VERSION = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/(?!1\.)\d\.\d\r?\n/;

function unsupportedVersion(err: ParserError): boolean {
  return err.code === 'HPE_INVALID_VERSION' && err.rawPacket !== undefined && OTHER_VERSION.test(err.rawPacket.toString('latin1', 0, 8192));
}

const HEADERS_TOO_LARGE = new HttpError('headers_too_large', 'the request headers are too large');
const REQUEST_TIMEOUT = new HttpError('request_timeout', 'the request took too long to arrive');
const MALFORMED = new HttpError('bad_request', 'the request is malformed');
const VERSION = new HttpError('version_not_supported', 'Junction speaks HTTP/1.0 and HTTP/1.1 on this listener');
const CONNECT = new HttpError('method_not_allowed', 'Junction is a reverse proxy: CONNECT tunnels are not offered');

/** What Node's server keeps on a socket: the response being written on it, if any (internal, stable since Node 0.x). */
interface HttpSocket extends Duplex {
  _httpMessage?: ServerResponse | null;
}

/**
 * Answers requests Node's HTTP parser refused before Junction saw them: 431 for oversized
 * headers, 408 for headers that took too long, 505 for an HTTP version it does not speak, 400 for
 * anything malformed (including `Content-Length` together with `Transfer-Encoding`). Never reaches
 * an upstream. When the bytes that failed followed a valid request on the same connection, that
 * request's response is finished first (its upstream already executed it), then the error is
 * written and the connection closed.
 */
export function handleClientError(err: ParserError, socket: Duplex, series: RouteSeries): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const answer =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? HEADERS_TOO_LARGE
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? REQUEST_TIMEOUT
        : unsupportedVersion(err)
          ? VERSION
          : MALFORMED;
  series.record(answer.status, 0);
  const pending = (socket as HttpSocket)._httpMessage;
  // a complete request before the bad bytes: its answer first (a request whose own body is what
  // failed gets the error at once)
  if (pending !== null && pending !== undefined && !pending.writableFinished && pending.req.complete) {
    pending.once('finish', () => sendErrorOnSocket(socket, answer));
    pending.once('close', () => socket.destroy());
    return;
  }
  sendErrorOnSocket(socket, answer);
}

/** `CONNECT host:port`: Junction is not a forward proxy (405, connection closed). */
export function refuseConnect(socket: Duplex, series: RouteSeries): void {
  socket.on('error', () => socket.destroy());
  series.record(CONNECT.status, 0);
  sendErrorOnSocket(socket, CONNECT);
}
