import type { ConfigSnapshot } from '../config/snapshot.js';
import type { RouteIndex } from '../routing/route-index.js';
import type { CertIndex } from '../tls/cert-index.js';
import type { BackendRuntime } from './backend.js';
import type { RouteRuntime } from './route.js';

/**
 * The runtime graph built from one snapshot: cheap objects (router, balancers, per-route wiring)
 * pointing at long-lived resources (pools, load state). Immutable once built; a request captures
 * the current graph once and finishes on it even if another is swapped in meanwhile.
 */
export interface Graph {
  readonly snapshot: ConfigSnapshot;
  readonly router: RouteIndex<RouteRuntime>;
  readonly routes: ReadonlyMap<string, RouteRuntime>;
  readonly backends: ReadonlyMap<string, BackendRuntime>;
  /**
   * The certificates of `snapshot.certs` by SNI name: the TLS listener's SNICallback calls
   * `pick(servername)` on the current graph (undefined: the handshake is refused, with
   * `handshake_failure`: Node cannot send `unrecognized_name`, docs/tls.md).
   */
  readonly certs: CertIndex;
}
