import type { ServerResponse } from 'node:http';
import type { JunctionError } from './junction-error.js';

/**
 * Answers with Junction's short JSON error body `{"error": code, "message": ...}` (SPEC §4).
 * If the response has already started there is nothing honest left to send: the connection is
 * cut so the client sees a truncated response instead of a silently wrong one.
 */
export function sendError(res: ServerResponse, err: JunctionError, requestId?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: err.code, message: err.message });
  const headers: string[] = [
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
  ];
  if (requestId !== undefined) headers.push('x-request-id', requestId);
  res.writeHead(err.status, headers);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
