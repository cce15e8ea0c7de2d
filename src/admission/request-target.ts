import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors/junction-error.js';
import { normalizePath, type PathOptions } from '../routing/normalize-path.js';
import type { Protocol } from './arrival.js';

/** Where a request goes, as admission reads it from the request line and Host. */
export interface RequestTarget {
  /** Host, or an absolute-form target's authority */
  readonly host: string | undefined;
  /** the normalized path, without the query */
  readonly path: string;
  /** the query including its `?`, or '' */
  readonly query: string;
  /** what is sent upstream: the target as received when normalizing changed nothing */
  readonly upstreamPath: string;
}

/**
 * How many header fields a request may have. The listener keeps one more (Node drops the rest
 * silently): a request that reaches it is refused with 431 instead of losing headers unseen.
 */
export const MAX_REQUEST_HEADERS = 256;

const BAD_PATH = new HttpError('bad_request', 'the request target is not a valid path');
const NO_HOST = new HttpError('bad_request', 'an HTTP/1.1 request needs a Host header (an HTTP/2 one :authority)');
const TWO_HOSTS = new HttpError('bad_request', 'a request has one Host header, not several');
const BAD_HOST = new HttpError('bad_request', 'the Host header is not a host name or address with an optional port');
const VERSION = new HttpError('version_not_supported', 'Junction speaks HTTP/1.0 and HTTP/1.1 on this listener');
const CONNECT = new HttpError('method_not_allowed', 'Junction is a reverse proxy: CONNECT tunnels are not offered');
const TOO_MANY_HEADERS = new HttpError('headers_too_large', `a request has at most ${MAX_REQUEST_HEADERS} header fields`);


/**
 * The version, Host and request-target checks every request passes: HTTP/1.x in a request line
 * (HTTP/2 arrives on the TLS listener as `h2`); at most MAX_REQUEST_HEADERS header fields; an
 * HTTP/1.1 request needs exactly one well-formed Host, an HTTP/2 one a well-formed `:authority`
 * (or Host); an absolute-form target (`GET http://host/path HTTP/1.1`, RFC 9112 §3.2.2) has its
 * authority replace Host; CONNECT is not offered over HTTP/2 either; the path is normalized (RFC
 * 3986 dot segments, percent-encoding; see normalize-path.ts) or the request is refused.
 */
export function requestTarget(req: IncomingMessage, paths: PathOptions, protocol: Protocol, authority: string | undefined): RequestTarget | HttpError {
  if (req.rawHeaders.length > 2 * MAX_REQUEST_HEADERS) return TOO_MANY_HEADERS;
  let host = authority;
  if (protocol === 'h2') {
    if (req.method === 'CONNECT') return CONNECT;
    if (host === undefined) return NO_HOST;
    if (!validHost(host)) return BAD_HOST;
  } else {
    // Node's parser takes `HTTP/2.0` and `HTTP/0.9` in a request line: neither is spoken here
    if (req.httpVersionMajor !== 1) return VERSION;
    if (host === undefined) {
      if (req.httpVersionMinor >= 1) return NO_HOST;
    } else if (hostCount(req.rawHeaders) > 1) return TWO_HOSTS; // Node keeps the first; RFC 9112 §3.2: 400
    else if (!validHost(host)) return BAD_HOST;
  }
  let url = req.url ?? '/';
  if (url.charCodeAt(0) !== 47 /* '/' */) {
    const abs = absoluteForm(url);
    if (abs === undefined) return BAD_PATH;
    url = abs.target;
    host = abs.host;
  }
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const path = normalizePath(rawPath, paths);
  if (path === undefined) return BAD_PATH;
  const query = q === -1 ? '' : url.slice(q);
  return { host, path, query, upstreamPath: path === rawPath ? url : path + query };
}

/**
 * RFC 9110 §7.2 Host: a reg-name, an IPv4 address or a bracketed IPv6 literal, then an optional
 * port (empty, or 0-65535). Empty is allowed (RFC 9112 §3.2). The character classes are
 * reg-name's (unreserved, sub-delims, pct-encoded): no spaces, slashes, `@` or brackets inside.
 */
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::([0-9]{0,5}))?$/;

function validHost(host: string): boolean {
  const m = HOST_RE.exec(host);
  return m !== null && (m[1] === undefined || m[1] === '' || Number(m[1]) <= 65535);
}

function hostCount(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) n++;
  }
  return n;
}

function absoluteForm(url: string): { target: string; host: string } | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  try {
    const u = new URL(url);
    return { target: u.pathname + u.search, host: u.host };
  } catch {
    return undefined;
  }
}
