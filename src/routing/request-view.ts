import type { IncomingHttpHeaders } from 'node:http';

/**
 * What the router reads from a request. Built once per request by the proxy; nothing here is
 * copied or parsed again by the router beyond lower-casing the host.
 */
export interface RequestView {
  /** the request method as sent (methods match case-sensitively) */
  readonly method: string;
  /** the raw Host header (or :authority): any case, may carry `:port`; undefined when absent */
  readonly host: string | undefined;
  /** the path after `normalizePath`, without the query string */
  readonly path: string;
  /** Node's header object: names lower-case, repeated lines joined with ", " by Node */
  readonly headers: IncomingHttpHeaders;
}
