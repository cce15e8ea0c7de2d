import type { Logger } from 'pino';
import type { AccessLog } from '../observability/access-log.js';
import type { Metrics } from '../observability/metrics.js';
import type { RouteSeries } from '../observability/route-series.js';
import type { Switcher } from '../runtime/switcher.js';
import type { TrustFn } from './forwarded.js';

/** What the request path needs from the rest of Junction, built once at start-up. */
export interface ProxyDeps {
  readonly switcher: Switcher;
  readonly metrics: Metrics;
  /** series for requests no route took (route "" backend "") */
  readonly unroutedSeries: RouteSeries;
  readonly logger: Logger;
  /** the access log, or undefined when it is off */
  readonly accessLog: AccessLog | undefined;
  /** requests being answered right now (graceful shutdown waits for it to reach 0) */
  readonly inFlight: { count: number };
  /** `--trusted-proxies`: peers whose X-Forwarded-* are kept (undefined: nobody's) */
  readonly trust: TrustFn | undefined;
  /** `http` for the plain listener */
  readonly proto: 'http' | 'https';
}
