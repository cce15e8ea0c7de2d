import { connect, type ConnectionOptions } from 'node:tls';

export interface TlsReply {
  /** HTTP status of the response (0: no response) */
  readonly status: number;
  /** ALPN protocol the server chose (false: none) */
  readonly alpn: string | false;
  /** SHA-256 fingerprint of the certificate the server showed */
  readonly fingerprint256: string | undefined;
  readonly body: string;
}

export interface TlsProbeOptions {
  /** SNI (absent: none, as clients that connect by IP address send) */
  readonly servername?: string;
  readonly path?: string;
  /** offered ALPN protocols; default `http/1.1` only */
  readonly alpn?: readonly string[];
  readonly timeoutMs?: number;
}

/**
 * One HTTP/1.1 `GET` over a fresh TLS connection (no session reuse, certificate not verified: the
 * bench's certificates are self-signed), `Connection: close`. With `alpn` offering `h2` and the
 * server choosing it, no request is sent (status 0): the caller only wanted the protocol.
 */
export function tlsGet(url: string, o: TlsProbeOptions = {}): Promise<TlsReply> {
  const u = new URL(url);
  const opts: ConnectionOptions = {
    host: u.hostname,
    port: Number(u.port),
    rejectUnauthorized: false,
    ALPNProtocols: [...(o.alpn ?? ['http/1.1'])],
    ...(o.servername ? { servername: o.servername } : {}),
  };
  return new Promise((resolve, reject) => {
    const socket = connect(opts);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer from ${url} within ${o.timeoutMs ?? 5000} ms`)), o.timeoutMs ?? 5000);
    let fingerprint256: string | undefined;
    socket.once('secureConnect', () => {
      fingerprint256 = socket.getPeerX509Certificate()?.fingerprint256;
      if (socket.alpnProtocol === 'h2') {
        clearTimeout(timer);
        resolve({ status: 0, alpn: 'h2', fingerprint256, body: '' });
        socket.destroy();
        return;
      }
      socket.write(`GET ${o.path ?? '/'} HTTP/1.1\r\nHost: ${o.servername ?? u.host}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const at = text.indexOf('\r\n\r\n');
      resolve({ status, alpn: socket.alpnProtocol ?? false, fingerprint256, body: at >= 0 ? text.slice(at + 4) : '' });
      socket.destroy();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** tlsGet that turns a refused or failed connection into status 0. */
export async function tlsGetOnce(url: string, o: TlsProbeOptions = {}): Promise<TlsReply> {
  try {
    return await tlsGet(url, o);
  } catch {
    return { status: 0, alpn: false, fingerprint256: undefined, body: '' };
  }
}

/** The SHA-256 fingerprint of the certificate a fresh TLS handshake naming `servername` gets (no request; undefined: the handshake failed). */
export function tlsFingerprint(url: string, servername: string, timeoutMs = 5000): Promise<string | undefined> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port), servername, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const fp = socket.getPeerX509Certificate()?.fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(undefined);
    });
  });
}
