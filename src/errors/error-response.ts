import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpError } from './junction-error.js';

/**
 * The one writer of Junction's JSON error answers, for the proxy listener (requests and upgrades)
 * and the admin API alike: `{"error": code, "message": ..., ...extra}` with the catalogue's status.
 */
function errorBody(err: HttpError): string {
  return JSON.stringify({ error: err.code, message: err.message, ...err.extra }) + '\n';
}

function errorHeaders(body: string, requestId: string | undefined): string[] {
  const headers = ['content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'cache-control', 'no-store'];
  if (requestId !== undefined) headers.push('x-request-id', requestId);
  return headers;
}

/**
 * Answers `res` with the error. If the response has already started there is nothing honest left
 * to send: the connection is cut so the client sees a truncated response instead of a silently
 * wrong one. Headers set on `res` before (`www-authenticate`, `allow`, ...) are kept.
 */
export function sendError(res: ServerResponse, err: HttpError, requestId?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(err);
  res.writeHead(err.status, errorHeaders(body, requestId));
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

/**
 * The same answer written on a bare socket, then closed: for what arrives with no response object
 * (a request Node's parser refused, an admin WebSocket refused before its handshake).
 */
export function sendErrorOnSocket(socket: Duplex, err: HttpError, extraHeaders: readonly string[] = []): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(err);
  const headers = [...errorHeaders(body, undefined), ...extraHeaders, 'connection', 'close'];
  let head = `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  socket.end(`${head}\r\n${body}`);
}
