import type { ChoiceSink, RouteTarget, TargetChooser } from '../contracts/route.js';
import type { IncomingHttpHeaders } from 'node:http';

/** The chooser of a route with one `backend`: always that backend. */
export class SingleTarget implements TargetChooser {
  constructor(private readonly target: RouteTarget) {}

  choose(_headers: IncomingHttpHeaders, _clientIp: string, _sink: ChoiceSink): RouteTarget {
    return this.target;
  }
}
