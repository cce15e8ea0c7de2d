import type { RouteRuntime } from '../contracts/route.js';
import type { HttpError } from '../errors/junction-error.js';
import { flatHeaders, headerObject } from '../filters/response-headers.js';
import type { FilterReply, FilterResponse } from '../filters/types.js';
import { CLIENT_CLOSED, type Arrival } from './arrival.js';
import type { FilterRun } from './forwarding.js';

/**
 * Runs the response filters of those that ran (last first), then `write`s. Returns true when it
 * wrote synchronously, false while asynchronous filters run (`write` follows when they finish).
 * A filter that throws or rejects ends in `failed` instead.
 */
export function respondThroughFilters(run: FilterRun, fr: FilterResponse, write: () => void, failed: (err: HttpError) => void): boolean {
  let r: void | Promise<void>;
  try {
    r = run.chain.runResponse(run.fx, fr, run.ran);
  } catch (err) {
    failed(err as HttpError);
    return false;
  }
  if (r === undefined) {
    write();
    return true;
  }
  r.then(write, failed);
  return false;
}

/** Answers with a filter's local reply, through the response filters of those that ran. */
export function replyLocally(a: Arrival, route: RouteRuntime, run: FilterRun, reply: FilterReply): void {
  const { body, type } = encodeReplyBody(reply.body);
  const headers = headerObject(flatHeaders(reply.headers ?? {}));
  if (type !== undefined && headers['content-type'] === undefined) headers['content-type'] = type;
  headers['content-length'] = String(body.length);
  if (headers['x-request-id'] === undefined) headers['x-request-id'] = a.requestId;
  const fr: FilterResponse = { status: reply.status, headers };
  respondThroughFilters(
    run,
    fr,
    () => {
      const res = a.res;
      if (res.destroyed) return a.end(CLIENT_CLOSED, route);
      res.writeHead(fr.status, flatHeaders(fr.headers));
      res.end(a.req.method === 'HEAD' ? undefined : body);
      a.end(fr.status, route, undefined, undefined, 'local');
    },
    (err) => a.fail(err, route),
  );
}

/** A local reply's body: strings and bytes as they are, anything else as JSON. */
function encodeReplyBody(body: unknown): { body: Buffer; type: string | undefined } {
  if (body === undefined || body === null) return { body: Buffer.alloc(0), type: undefined };
  if (typeof body === 'string') return { body: Buffer.from(body), type: 'text/plain; charset=utf-8' };
  if (body instanceof Uint8Array) return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength), type: 'application/octet-stream' };
  return { body: Buffer.from(JSON.stringify(body)), type: 'application/json' };
}
