import { BalancerConfigError } from './errors.js';
import { createEwma } from './ewma.js';
import { RendezvousHash } from './hash.js';
import { parseHashKey } from './hash-key.js';
import { createLeastRequest } from './least-request.js';
import { SmoothRoundRobin } from './round-robin.js';
import type { Balancer, BalancerKind, BalancerOptions, Pickable } from './types.js';

/**
 * Builds the balancer of one backend for one configuration snapshot. `servers` are the backend's
 * servers in state `active`; availability (health, breakers) is checked at each pick.
 * Cheap: call it on every swap. Throws BalancerConfigError (`unknown_balancer`,
 * `invalid_hash_key`) only for input the config schema already rejects.
 * `hash` without a hashKey hashes the client address (`ip`).
 */
export function createBalancer<S extends Pickable>(
  kind: BalancerKind,
  servers: readonly S[],
  opts: BalancerOptions = {},
): Balancer<S> {
  const random = opts.random ?? Math.random;
  switch (kind) {
    case 'round-robin':
      return new SmoothRoundRobin(servers);
    case 'least-request':
      return createLeastRequest(servers, random);
    case 'ewma':
      return createEwma(servers, random);
    case 'hash':
      return new RendezvousHash(servers, parseHashKey(opts.hashKey ?? 'ip'));
    default:
      throw new BalancerConfigError('unknown_balancer', `unknown balancer "${String(kind satisfies never)}"`);
  }
}
