import { PowerOfTwoChoices } from './power-of-two.js';
import type { Balancer, Pickable } from './types.js';

/**
 * Least-request: power of two choices on requests in flight per unit of weight
 * (ServerLoad.inFlight / weight). In-flight counts are shared by every backend and snapshot
 * that uses the server, so they reflect the server's real load.
 */
export function createLeastRequest<S extends Pickable>(servers: readonly S[], random: () => number): Balancer<S> {
  return new PowerOfTwoChoices('least-request', servers, random, inFlightOf);
}

function inFlightOf(server: Pickable): number {
  return server.load.inFlight;
}
