import type { Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { JunctionError } from '../errors/junction-error.js';

export class ListenError extends JunctionError {
  constructor(what: string, host: string, port: number, cause: NodeJS.ErrnoException) {
    const reason =
      cause.code === 'EADDRINUSE'
        ? 'address already in use'
        : cause.code === 'EACCES'
          ? 'permission denied'
          : cause.code === 'EADDRNOTAVAIL'
            ? 'address not available on this machine'
            : cause.message;
    super('listen_failed', `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port} (${what}): ${reason}`, { cause });
  }
}

/** `exclusive`: in a node:cluster worker, bind for this process alone instead of sharing the primary's handle. */
export function listen(server: NetServer, at: { host: string; port: number }, what: string, exclusive = false): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new ListenError(what, at.host, at.port, err));
    server.once('error', onError);
    server.listen({ port: at.port, host: at.host, exclusive }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Stops accepting, closes idle keep-alive connections as they become idle, and waits until
 * `idle()` says no request is in flight (and the server has closed), at most `timeoutMs`; then
 * cuts whatever is left.
 */
export async function closeServer(server: Server, timeoutMs: number, idle: () => boolean = () => true): Promise<void> {
  if (!server.listening) {
    server.closeAllConnections();
    return;
  }
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !idle()) {
    await new Promise((r) => setTimeout(r, 25));
    server.closeIdleConnections();
  }
  server.closeIdleConnections();
  server.closeAllConnections();
  // unref'd: a server that closed in time must not hold the process for the rest of the second
  await Promise.race([closed, new Promise((r) => setTimeout(r, 1000).unref())]);
}
