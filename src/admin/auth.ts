import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Checks `Authorization: Bearer <token>` (or, for the events WebSocket, the subprotocol
 * `bearer.<token>`) in constant time. Without a configured token (an empty one is none)
 * everything is allowed: `serve` refuses to bind such an admin listener to anything but loopback,
 * and the cross-site rules (cross-site.ts) then restrict `Host` to loopback names.
 */
export class AdminAuth {
  readonly #digest: Buffer | undefined;

  constructor(token: string | undefined) {
    this.#digest = token ? digest(token) : undefined;
  }

  get enabled(): boolean {
    return this.#digest !== undefined;
  }

  allows(req: IncomingMessage): boolean {
    if (this.#digest === undefined) return true;
    const header = req.headers.authorization;
    if (typeof header === 'string' && header.startsWith('Bearer ')) return this.#matches(header.slice(7).trim());
    const protocols = req.headers['sec-websocket-protocol'];
    if (typeof protocols === 'string') {
      for (const p of protocols.split(',')) {
        const v = p.trim();
        if (v.startsWith('bearer.') && this.#matches(v.slice(7))) return true;
      }
    }
    return false;
  }

  #matches(candidate: string): boolean {
    // Comparing fixed-size digests keeps the comparison constant-time whatever the lengths.
    return timingSafeEqual(digest(candidate), this.#digest as Buffer);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
