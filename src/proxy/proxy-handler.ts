import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ProxyError } from '../errors/proxy-errors.js';
import { normalizePath } from '../routing/normalize-path.js';
import { forwardedOf } from './forwarded.js';
import type { FilterChain, RequestOutcome } from '../filters/chain.js';
import { FilterRequest } from '../filters/filter-exchange.js';
import type { RouteRuntime } from '../runtime/graph.js';
import { PrimaryTap } from '../tee/compare-pair.js';
import { Exchange } from './exchange.js';
import type { ProxyDeps } from './proxy-deps.js';
import { upstreamRequestHeaders, upstreamRequestHeadersFromObject, type ForwardedInfo } from './request-headers.js';
import { requestIdOf } from './request-id.js';

const NOT_READY = new ProxyError('not_ready', 'Junction has not applied a configuration yet');
const NO_ROUTE = new ProxyError('no_route', 'no route matches this request');
const BAD_PATH = new ProxyError('bad_request', 'the request target is not a valid path');
const NO_HOST = new ProxyError('bad_request', 'an HTTP/1.1 request needs a Host header');

/**
 * The request path: capture the current graph once, route, pick a server, forward.
 * Everything per-snapshot (router, balancers, metric children) was built before the request came.
 */
export function createProxyHandler(deps: ProxyDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return function handle(req, res) {
    const requestId = requestIdOf(req.headers['x-request-id']);
    const forwarded = forwardedOf(req, deps.trust, deps.proto, req.headers.host, requestId);
    const ex = new Exchange(req, res, requestId, forwarded.clientIp, deps);
    const graph = deps.switcher.current;
    if (graph === undefined) return ex.fail(NOT_READY);

    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return ex.fail(NO_HOST);
    let url = req.url ?? '/';
    let host = req.headers.host;
    let info = forwarded;
    if (url.charCodeAt(0) !== 47 /* '/' */) {
      // absolute-form (`GET http://host/path HTTP/1.1`): RFC 9112 §3.2.2 — its authority wins over Host
      const abs = absoluteForm(url);
      if (abs === undefined) return ex.fail(BAD_PATH);
      url = abs.target;
      host = abs.host;
      if (forwarded.host === req.headers.host) info = { ...forwarded, host };
    }
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const path = normalizePath(rawPath);
    if (path === undefined) return ex.fail(BAD_PATH);

    const candidate = graph.router.match({ method: req.method ?? 'GET', host, path, headers: req.headers });
    if (candidate === undefined) return ex.fail(NO_ROUTE);
    const route = candidate.value;
    ex.route = route;
    if (route.chain !== undefined) {
      filterThenSend(deps, ex, route, route.chain, path, q === -1 ? '' : url.slice(q), info);
      return;
    }
    const headers = upstreamRequestHeaders(req, info);
    send(deps, ex, route, req.headers, headers, path === rawPath ? url : q === -1 ? path : path + url.slice(q));
  };
}

/** Chooses the target (canary split or backend), picks a server, offers the tees, forwards. */
function send(
  deps: ProxyDeps,
  ex: Exchange,
  route: RouteRuntime,
  requestHeaders: IncomingHttpHeaders,
  headers: string[],
  upstreamPath: string,
): void {
  const { req, clientIp, requestId } = ex;
  const target = route.chooser.choose(requestHeaders, clientIp, ex);
  ex.target = target;
  const backend = target.backend;
  ex.backend = backend;
  const server = backend.balancer.pick({ headers: requestHeaders, clientIp });
  if (server === undefined) {
    return ex.fail(new ProxyError('no_server', `backend ${backend.id} has no available server`));
  }
  const body = hasBody(req);
  const tees = route.tees;
  if (tees.length > 0) {
    // Copies go out first, in this same tick: a body copy must start listening before undici
    // starts reading the request for the primary. Nothing here waits for the shadow.
    const tap = route.compareHeaders === undefined ? undefined : (ex.tap = new PrimaryTap(route.compareHeaders));
    for (const tee of tees) tee.offer({ req, requestId, clientIp, headers, path: upstreamPath, hasBody: body, tap });
  }
  ex.forward(server, upstreamPath, headers, body);
}

/**
 * A route with filters: run the request phase (synchronously when every filter is), then answer
 * locally, fail, or send what the filters made of the request.
 */
function filterThenSend(
  deps: ProxyDeps,
  ex: Exchange,
  route: RouteRuntime,
  chain: FilterChain,
  path: string,
  query: string,
  info: ForwardedInfo,
): void {
  const fx = new FilterRequest(ex.req, path, query, ex.clientIp, route.id, ex.requestId);
  ex.chain = chain;
  ex.fx = fx;
  ex.watchClient();
  const after = (o: RequestOutcome): void => {
    ex.filtersRan = o.ran;
    if (ex.done) return; // the client left while the filters ran
    if (o.error !== undefined) return ex.fail(o.error);
    if (o.reply !== undefined) return ex.replyLocally(o.reply);
    const headers = upstreamRequestHeadersFromObject(fx.headers, info);
    send(deps, ex, route, fx.headers as IncomingHttpHeaders, headers, fx.path + fx.query);
  };
  const outcome = chain.runRequest(fx);
  if (outcome instanceof Promise) {
    outcome.then(after).catch((err: unknown) => {
      deps.logger.error({ err, route: route.id }, 'request failed after its filters ran');
      ex.fail(new ProxyError('upstream_error', 'the request failed'));
    });
  } else after(outcome);
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
