import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../errors/proxy-errors.js';
import { normalizePath } from '../routing/normalize-path.js';
import { clientIpOf } from './client-ip.js';
import { PrimaryTap } from '../tee/compare-pair.js';
import { Exchange } from './exchange.js';
import type { ProxyDeps } from './proxy-deps.js';
import { upstreamRequestHeaders } from './request-headers.js';
import { requestIdOf } from './request-id.js';

const NOT_READY = new ProxyError('not_ready', 'Junction has not applied a configuration yet');
const NO_ROUTE = new ProxyError('no_route', 'no route matches this request');
const BAD_PATH = new ProxyError('bad_request', 'the request target is not a valid path');

/**
 * The request path: capture the current graph once, route, pick a server, forward.
 * Everything per-snapshot (router, balancers, metric children) was built before the request came.
 */
export function createProxyHandler(deps: ProxyDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return function handle(req, res) {
    const requestId = requestIdOf(req.headers['x-request-id']);
    const clientIp = clientIpOf(req);
    const ex = new Exchange(req, res, requestId, clientIp, deps);
    const graph = deps.switcher.current;
    if (graph === undefined) return ex.fail(NOT_READY);

    let url = req.url ?? '/';
    let host = req.headers.host;
    if (url.charCodeAt(0) !== 47 /* '/' */) {
      // absolute-form (`GET http://host/path HTTP/1.1`): RFC 9112 §3.2.2 — its authority wins over Host
      const abs = absoluteForm(url);
      if (abs === undefined) return ex.fail(BAD_PATH);
      url = abs.target;
      host = abs.host;
    }
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const path = normalizePath(rawPath);
    if (path === undefined) return ex.fail(BAD_PATH);

    const candidate = graph.router.match({ method: req.method ?? 'GET', host, path, headers: req.headers });
    if (candidate === undefined) return ex.fail(NO_ROUTE);
    const route = candidate.value;
    ex.route = route;
    const target = route.chooser.choose(req.headers, clientIp, ex);
    ex.target = target;
    const backend = target.backend;
    ex.backend = backend;

    const server = backend.balancer.pick({ headers: req.headers, clientIp });
    if (server === undefined) {
      return ex.fail(new ProxyError('no_server', `backend ${backend.id} has no available server`));
    }
    const headers = upstreamRequestHeaders(req, { clientIp, proto: deps.proto, requestId, host });
    const upstreamPath = path === rawPath ? url : q === -1 ? path : path + url.slice(q);
    const body = hasBody(req);
    const tees = route.tees;
    if (tees.length > 0) {
      // Copies go out first, in this same tick: a body copy must start listening before undici
      // starts reading the request for the primary. Nothing here waits for the shadow.
      const tap = route.compareHeaders === undefined ? undefined : (ex.tap = new PrimaryTap(route.compareHeaders));
      for (const tee of tees) tee.offer({ req, requestId, clientIp, headers, path: upstreamPath, hasBody: body, tap });
    }
    ex.forward(server, upstreamPath, headers, body);
  };
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

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return len !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}
