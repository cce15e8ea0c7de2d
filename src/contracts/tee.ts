import type { IncomingMessage } from 'node:http';

/** What forwarding hands a route's tees: everything is already computed for the primary. */
export interface TeeOffer {
  readonly req: IncomingMessage;
  readonly requestId: string;
  readonly clientIp: string;
  /** the primary's upstream header list (hop-by-hop already stripped, X-Forwarded-* set) */
  readonly headers: readonly string[];
  /** path and query as sent upstream */
  readonly path: string;
  readonly hasBody: boolean;
}

/** Fed the primary response as it streams to the client. */
export interface ResponseObserver {
  onHeaders(status: number, rawHeaders: readonly Buffer[]): void;
  onData(chunk: Buffer): void;
}

/** The primary response as the comparing tees of its route read it (`PrimaryTap`). */
export interface ResponseTap {
  readonly digest: ResponseObserver;
  /** the primary finished (`ok`) or failed: the comparisons waiting on it run */
  done(ok: boolean): void;
}

/**
 * The tees of one route (`RouteTees`), as forwarding uses them. `offer` mirrors the request to
 * every tee that takes it — synchronously, before the primary is sent — and returns the tap the
 * primary response must feed when a tee compares, else undefined. Nothing waits on the copies.
 */
export interface Tees {
  offer(o: TeeOffer): ResponseTap | undefined;
}
