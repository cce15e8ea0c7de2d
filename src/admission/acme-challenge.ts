import { HttpError } from '../errors/junction-error.js';
import { CLIENT_CLOSED, type Arrival, type ChallengeLookup } from './arrival.js';

const NO_CHALLENGE = new HttpError('not_found', 'no ACME challenge has this token');

/**
 * `GET /.well-known/acme-challenge/<token>`: the key authorization as `text/plain`, or a 404 —
 * answered by Junction itself on every listener, before routes and filters (RFC 8555 §8.3).
 */
export function answerChallenge(a: Arrival, book: ChallengeLookup, token: string): void {
  const found = book.lookup(token);
  if (!(found instanceof Promise)) return reply(a, found);
  found.then(
    (value) => reply(a, value),
    () => reply(a, undefined),
  );
}

function reply(a: Arrival, value: string | undefined): void {
  if (a.ended) return;
  if (a.res.destroyed) return a.end(CLIENT_CLOSED);
  if (value === undefined) return a.fail(NO_CHALLENGE);
  const body = Buffer.from(value);
  a.writeHead(200, undefined, ['content-type', 'text/plain', 'content-length', String(body.length), 'cache-control', 'no-store', 'x-request-id', a.requestId]);
  a.res.end(a.req.method === 'HEAD' ? undefined : body);
  a.end(200, undefined, undefined, undefined, 'acme-challenge');
}
