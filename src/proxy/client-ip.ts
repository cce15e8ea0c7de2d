import type { IncomingMessage } from 'node:http';

/** The peer address of the connection, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) shown as IPv4. */
export function clientIpOf(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
