import { CLIENT_CLOSED, type Arrival, type ChallengeLookup } from './arrival.js';

/**
 * `GET /.well-known/acme-challenge/<token>`: the key authorization as `text/plain` when Junction's
 * ACME is waiting on that token — answered by Junction itself on every listener, before routes and
 * filters (RFC 8555 §8.3). Any other token is `notOurs()`: the request goes on to the routes like
 * any other, so an ACME client behind Junction (certbot's webroot on an upstream) keeps working.
 */
export function answerChallenge(a: Arrival, book: ChallengeLookup, token: string, notOurs: () => void): void {
  const found = book.lookup(token);
  if (!(found instanceof Promise)) return found === undefined ? notOurs() : reply(a, found);
  found.then(
    (value) => (value === undefined ? goOn(a, notOurs) : reply(a, value)),
    () => goOn(a, notOurs),
  );
}

function goOn(a: Arrival, notOurs: () => void): void {
  if (a.ended) return;
  if (a.res.destroyed) return a.end(CLIENT_CLOSED);
  notOurs();
}

function reply(a: Arrival, value: string): void {
  if (a.ended) return;
  if (a.res.destroyed) return a.end(CLIENT_CLOSED);
  const body = Buffer.from(value);
  a.writeHead(200, undefined, ['content-type', 'text/plain', 'content-length', String(body.length), 'cache-control', 'no-store', 'x-request-id', a.requestId]);
  a.res.end(a.req.method === 'HEAD' ? undefined : body);
  a.end(200, undefined, undefined, undefined, 'acme-challenge');
}
