import { PowerOfTwoChoices } from './power-of-two.js';
import type { Balancer, Pickable } from './types.js';

/**
 * EWMA: power of two choices on ServerLoad.cost() per unit of weight — peak-EWMA latency
 * x (inFlight + 1), as Finagle's and linkerd's p2c PeakEwma. A server with no sample yet costs 0
 * while idle, so it wins the first comparison it is drawn into and is tried at once; while its
 * first requests are pending it costs the failure penalty, so an unknown server that hangs
 * gets one request, not a flood. Failures count as at least the penalty latency (see ServerLoad).
 */
export function createEwma<S extends Pickable>(servers: readonly S[], random: () => number): Balancer<S> {
  return new PowerOfTwoChoices('ewma', servers, random, costOf);
}

function costOf(server: Pickable): number {
  return server.load.cost();
}
