import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** What the upstream is told about the client and the request. */
export interface ForwardedInfo {
  /** the X-Forwarded-For value to send (the peer, or a trusted proxy's chain plus the peer) */
  readonly forwardedFor: string;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
  /** the request's host (Host, or an absolute-form target's authority), reported in X-Forwarded-Host */
  readonly host: string | undefined;
  /** the peer is a trusted proxy: its X-Real-IP and Forwarded are kept */
  readonly trusted: boolean;
}

/** ForwardedInfo and the client's address (the first untrusted hop). */
export interface Forwarded extends ForwardedInfo {
  readonly clientIp: string;
}

export type TrustFn = (addr: string, hop: number) => boolean;

/** Compiles `--trusted-proxies` (CIDRs, addresses, or proxy-addr's names: loopback, linklocal, uniquelocal). */
export function compileTrust(list: readonly string[]): TrustFn {
  return proxyaddr.compile([...list]);
}

function peerOf(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

function first(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

/**
 * Who the client is and what the upstream is told about it. By default (no trusted proxies) a
 * client cannot spoof anything: the client is the socket peer, and `X-Forwarded-For/Proto/Host`
 * are replaced. When the peer is a trusted proxy, its `X-Forwarded-For` is kept and the peer is
 * appended, its `X-Forwarded-Proto` / `-Host` are kept, and the client is the first untrusted hop
 * (proxy-addr walks the chain from the right).
 */
export function forwardedOf(
  req: IncomingMessage,
  trust: TrustFn | undefined,
  proto: 'http' | 'https',
  host: string | undefined,
  requestId: string,
): Forwarded {
  const peer = peerOf(req);
  if (trust === undefined || !trust(peer, 0)) return { clientIp: peer, forwardedFor: peer, proto, host, requestId, trusted: false };
  const prior = req.headers['x-forwarded-for'];
  const priorFor = Array.isArray(prior) ? prior.join(', ') : prior;
  const clientIp = proxyaddr(req, trust);
  return {
    clientIp: clientIp.startsWith('::ffff:') && clientIp.includes('.') ? clientIp.slice(7) : clientIp,
    forwardedFor: priorFor ? `${priorFor}, ${peer}` : peer,
    proto: first(req.headers['x-forwarded-proto']) === 'https' ? 'https' : first(req.headers['x-forwarded-proto']) === 'http' ? 'http' : proto,
    host: first(req.headers['x-forwarded-host']) ?? host,
    requestId,
    trusted: true,
  };
}
