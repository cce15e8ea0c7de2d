import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from '../errors/junction-error.js';

/**
 * What keeps web pages away from the admin API (docs/api.md, "Cross-site requests"). The admin
 * listener is plain HTTP on loopback and, by default, has no token: anything that can make the
 * browser on the same machine send a request could otherwise write the configuration. Three holes,
 * three rules:
 *
 * - A page elsewhere sends a "simple" cross-site request (a form, or `fetch` with a `text/plain`
 *   body), which the browser sends without asking first: writes must declare `application/json`
 *   (`jsonBodyRefusal`), a type no page can send cross-site without a CORS preflight, which this
 *   listener never grants.
 * - Browsers name the page that sent a request in `Origin` (every WebSocket, every non-GET `fetch`
 *   and form) and say whether it came from another site in `Sec-Fetch-Site`: a request from any
 *   origin but the listener's own is refused (`forbidden_origin`).
 * - DNS rebinding: a page's own name made to resolve to 127.0.0.1 is same-origin for the browser,
 *   so only `Host` tells: without a token, the listener answers only requests addressed to a
 *   loopback name or address (`forbidden_host`). With a token the token is the protection (a
 *   rebound page does not have it) and a listener on a real address must accept its real names.
 *
 * Applied to every `/api/` request and to the events WebSocket's upgrade, before the token check,
 * on the listener a client reaches (and again on a `--workers` worker's private listener, which
 * sees the same headers: the primary passes `Host`, `Origin` and `Sec-Fetch-Site` on unchanged).
 */
export function crossSiteRefusal(req: IncomingMessage, opts: { readonly tokenSet: boolean }): HttpError | undefined {
  const host = req.headers.host;
  if (!opts.tokenSet && host !== undefined && !isLocalHost(host, req.socket.localAddress)) {
    return new HttpError(
      'forbidden_host',
      `Host ${quote(host)} is not a loopback name: without an admin token the admin API answers only requests sent to localhost, 127.0.0.1 or [::1]; use a loopback name, or set --admin-token`,
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, host)) {
    return new HttpError('forbidden_origin', `the admin API refuses cross-site requests: Origin ${quote(origin)} is not this listener's origin (http://${host ?? '<no Host>'})`);
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    return new HttpError('forbidden_origin', 'the admin API refuses cross-site requests (Sec-Fetch-Site: cross-site)');
  }
  return undefined;
}

const WRITES = new Set(['PUT', 'POST', 'DELETE', 'PATCH']);

/**
 * A write (`PUT`, `POST`, `DELETE`, `PATCH`) that carries a body must declare it
 * `application/json` (parameters such as `charset` allowed): the types a page may send cross-site
 * without a preflight — `text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`,
 * or none — are refused with 415, even though the body may well be JSON.
 */
export function jsonBodyRefusal(req: IncomingMessage): HttpError | undefined {
  if (!WRITES.has(req.method ?? 'GET') || !hasBody(req)) return undefined;
  const type = req.headers['content-type'];
  if (type !== undefined && /^\s*application\/json\s*(;|$)/i.test(type)) return undefined;
  return new HttpError(
    'unsupported_media_type',
    type === undefined
      ? 'send the body with Content-Type: application/json'
      : `send the body as application/json, not ${quote(type)} (curl: -H 'content-type: application/json')`,
  );
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) !== 0;
}

/** `Host` as a URL's host (lower case, IPv4 and IPv6 in their canonical form), or undefined when it is not a host[:port]. */
function parseHost(host: string): URL | undefined {
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?$/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`);
  } catch {
    return undefined;
  }
}

/**
 * A loopback name (`localhost`, `*.localhost`), a loopback address (`127.0.0.0/8`, `[::1]`), or the
 * literal address the connection arrived on: none of them can be a name a page's owner controls.
 */
function isLocalHost(host: string, localAddress: string | undefined): boolean {
  const url = parseHost(host);
  if (url === undefined) return false;
  const name = url.hostname;
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true;
  if (isIP(name) === 4 && name.startsWith('127.')) return true;
  const literal = name.startsWith('[') ? name.slice(1, -1) : name;
  return isIP(literal) !== 0 && localAddress !== undefined && literal === localAddress.replace(/^::ffff:(?=\d+\.)/, '');
}

/** `Origin` is `http://` + the `Host` the request was sent to: same scheme, host and port. */
function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  if (origin === `http://${host}`) return true;
  const own = parseHost(host);
  // an origin is scheme://host[:port], nothing else (no path, no user)
  if (own === undefined || !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@\\]+$/.test(origin)) return false;
  try {
    const o = new URL(origin);
    return o.protocol === 'http:' && o.origin === own.origin;
  } catch {
    return false;
  }
}

/** An attacker's header in a message: quoted, and short. */
function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}
