import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { RouteRuntime } from '../contracts/route.js';
import { HttpError } from '../errors/junction-error.js';
import type { FilterChain, RequestOutcome } from '../filters/chain.js';
import { FilterRequest } from '../filters/filter-exchange.js';
import { filterHeaders, upstreamHeadersFromObject, upstreamHeadersFromRaw } from '../http/header-policy.js';
import type { ForwardedInfo } from '../http/forwarded.js';
import { namedByClient } from '../http/hop-by-hop.js';
import { CHALLENGE_PATH } from '../tls/acme/challenge-book.js';
import { answerChallenge } from './acme-challenge.js';
import { Arrival, CLIENT_CLOSED, type AdmissionDeps } from './arrival.js';
import { replyLocally } from './filter-response.js';
import type { FilterRun, Forwarding } from './forwarding.js';
import { requestTarget, type RequestTarget } from './request-target.js';

const NOT_READY = new HttpError('not_ready', 'Junction has not applied a configuration yet');
const NO_ROUTE = new HttpError('no_route', 'no route matches this request');
const FILTERS_FAILED = new HttpError('upstream_error', 'the request failed');

/**
 * The one admission path every request passes, whatever carried it (HTTP/1.1, an upgrade):
 * an ACME challenge Junction knows answered at once, then the current graph captured once, request
 * id, Host and request-target checks, path normalisation, route match, the route's request filters (which may answer locally — an
 * upgrade is refused the same way), the target choice with its sticky cookie, the server pick.
 * Only then does `forwarding`, the one step that differs by protocol, take the request upstream.
 */
export function admit(deps: AdmissionDeps, req: IncomingMessage, res: ServerResponse, forwarding: Forwarding): void {
  const a = new Arrival(req, res, deps);
  // ACME HTTP-01 before anything else: any instance answers the tokens Junction's ACME wrote,
  // configured or not, whatever the routes; other tokens go to the routes like any request (an
  // ACME client behind Junction keeps working)
  if (deps.challenges !== undefined && req.url?.startsWith(CHALLENGE_PATH) === true && (req.method === 'GET' || req.method === 'HEAD')) {
    return answerChallenge(a, deps.challenges, req.url.slice(CHALLENGE_PATH.length), () => routeArrival(a, forwarding));
  }
  routeArrival(a, forwarding);
}

/** Everything after the arrival: host and target checks, the route, its filters, the choice. */
function routeArrival(a: Arrival, forwarding: Forwarding): void {
  const { deps, req } = a;
  const graph = deps.switcher.current;
  if (graph === undefined) return a.fail(NOT_READY);
  const t = requestTarget(req, deps.paths, a.protocol, a.host);
  if (t instanceof HttpError) return a.fail(t);
  const route = graph.router.match({ method: req.method ?? 'GET', host: t.host, path: t.path, headers: req.headers })?.value;
  if (route === undefined) return a.fail(NO_ROUTE);
  // the Host upstream: HTTP/2's :authority, or an absolute-form target's authority replacing Host
  // (then in X-Forwarded-Host too, unless a trusted proxy said otherwise)
  const hostOverride = a.protocol === 'h2' || t.host !== req.headers.host ? t.host : undefined;
  const info = t.host === a.host || a.forwarded.host !== a.host ? a.forwarded : { ...a.forwarded, host: t.host };
  const named = namedByClient(req.headers.connection);
  if (route.chain !== undefined) return filterThenChoose(a, route, route.chain, t, info, forwarding, named, hostOverride);
  choose(a, route, undefined, req.headers, t.upstreamPath, upstreamHeadersFromRaw(req.rawHeaders, named, info, hostOverride), forwarding);
}

/**
 * The route's request filters (synchronously when every filter is), then a local reply, a
 * failure, or the choice with what the filters made of the request.
 */
function filterThenChoose(
  a: Arrival,
  route: RouteRuntime,
  chain: FilterChain,
  t: RequestTarget,
  info: ForwardedInfo,
  forwarding: Forwarding,
  named: ReadonlySet<string> | undefined,
  hostOverride: string | undefined,
): void {
  const fx = new FilterRequest(a.req, t.path, t.query, a.clientIp, a.forwarded.proto, route.id, a.requestId, filterHeaders(a.req.headers, named, hostOverride));
  const after = (o: RequestOutcome): void => {
    if (a.ended) return; // the client left while the filters ran
    const run: FilterRun = { chain, fx, ran: o.ran };
    if (o.error !== undefined) return a.fail(o.error, route);
    if (o.reply !== undefined) return replyLocally(a, route, run, o.reply);
    choose(a, route, run, fx.headers as IncomingHttpHeaders, fx.path + fx.query, upstreamHeadersFromObject(fx.headers, info), forwarding);
  };
  const outcome = chain.runRequest(fx);
  if (!(outcome instanceof Promise)) return after(outcome);
  const onClose = (): void => a.end(CLIENT_CLOSED, route);
  a.res.once('close', onClose);
  outcome
    .then((o) => {
      a.res.off('close', onClose);
      after(o);
    })
    .catch((err: unknown) => {
      a.deps.logger.error({ err, route: route.id }, 'request failed after its filters ran');
      a.fail(FILTERS_FAILED, route);
    });
}

/** The route's target (a split's arm, sticky cookie included) and the server its balancer picks. */
function choose(
  a: Arrival,
  route: RouteRuntime,
  filters: FilterRun | undefined,
  headers: IncomingHttpHeaders,
  path: string,
  upstreamHeaders: string[],
  forwarding: Forwarding,
): void {
  const target = route.chooser.choose(headers, a.clientIp, a);
  const backend = target.backend;
  const server = backend.balancer.pick({ headers, clientIp: a.clientIp });
  if (server === undefined) return a.fail(new HttpError('no_server', `backend ${backend.id} has no available server`), route, target);
  forwarding.forward({ arrival: a, route, target, server, filters, path, headers: upstreamHeaders });
}
