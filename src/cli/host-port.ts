import { isIP } from 'node:net';
import type { HostPort } from '../junction.js';
import { UsageError } from './usage-error.js';

/** Parses `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces). */
export function parseHostPort(flag: string, value: string): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag} ${JSON.stringify(value)}: expected HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)`);
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] as string));
  const port = Number(m[3]);
  if (port > 65535) throw new UsageError(`--${flag} ${JSON.stringify(value)}: port ${port} is out of range (0-65535)`);
  if (m[1] !== undefined && isIP(host) !== 6) throw new UsageError(`--${flag} ${JSON.stringify(value)}: ${host} is not an IPv6 address`);
  return { host, port };
}

/** Whether an admin bind address only accepts local connections. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
