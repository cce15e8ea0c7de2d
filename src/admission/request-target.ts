import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors/junction-error.js';
import { normalizePath } from '../routing/normalize-path.js';

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

const BAD_PATH = new HttpError('bad_request', 'the request target is not a valid path');
const NO_HOST = new HttpError('bad_request', 'an HTTP/1.1 request needs a Host header');
const TWO_HOSTS = new HttpError('bad_request', 'a request has one Host header, not several');

/**
 * The Host and request-target checks every request passes: an HTTP/1.1 request needs one Host;
 * an absolute-form target (`GET http://host/path HTTP/1.1`, RFC 9112 §3.2.2) has its authority
 * replace Host; the path is normalized (RFC 3986 dot segments, percent-encoding; see
 * normalize-path.ts) or the request is refused.
 */
export function requestTarget(req: IncomingMessage): RequestTarget | HttpError {
  let host = req.headers.host;
  if (host === undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return NO_HOST;
  } else if (hostCount(req.rawHeaders) > 1) return TWO_HOSTS; // Node keeps the first; RFC 9112 §3.2: 400
  let url = req.url ?? '/';
  if (url.charCodeAt(0) !== 47 /* '/' */) {
    const abs = absoluteForm(url);
    if (abs === undefined) return BAD_PATH;
    url = abs.target;
    host = abs.host;
  }
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const path = normalizePath(rawPath);
  if (path === undefined) return BAD_PATH;
  const query = q === -1 ? '' : url.slice(q);
  return { host, path, query, upstreamPath: path === rawPath ? url : path + query };
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
