import type { ConfigSnapshot, RouteConfig } from '../config/snapshot.js';
import { FilterChain, type ChainLink } from './chain.js';
import type { FilterRunError } from './errors.js';
import type { LeaseScope } from '../lease/lease-scope.js';
import type { FilterInstances } from './instance-registry.js';
import type { LoadedModule } from './load-module.js';

export interface ChainResources {
  readonly modules: { get(type: string): LoadedModule | undefined };
  readonly instances: FilterInstances;
  readonly budgetMs: number;
  readonly onFailure: (err: FilterRunError) => void;
  /** creation failures, reported once per instance key */
  readonly onCreateError: (filterId: string, err: unknown) => void;
}

export interface BuiltChain {
  /** undefined when the route has no filters */
  readonly chain: FilterChain | undefined;
  /** whether every link is a live instance (none failed to be created or is missing) */
  readonly complete: boolean;
}

/**
 * The chain of a route, its instances leased into `leases`. A filter whose create() throws is
 * replaced by a link that fails every request (500): a route never serves without a filter its
 * configuration asks for.
 */
export function buildChain(route: RouteConfig, snapshot: ConfigSnapshot, res: ChainResources, leases: LeaseScope): BuiltChain {
  const ids = route.spec.filters ?? [];
  if (ids.length === 0) return { chain: undefined, complete: true };
  const links: ChainLink[] = [];
  let complete = true;
  for (const id of ids) {
    const filter = snapshot.filters.get(id);
    const mod = filter === undefined ? undefined : res.modules.get(filter.spec.type);
    if (filter === undefined || mod === undefined) {
      links.push(failing(id, new Error(`filter ${id} is not available`)));
      complete = false;
      continue;
    }
    try {
      links.push({ id, instance: leases.hold(res.instances.acquire(filter, mod)).instance });
    } catch (err) {
      res.onCreateError(id, err);
      links.push(failing(id, err));
      complete = false;
    }
  }
  return { chain: new FilterChain(links, res.budgetMs, res.onFailure), complete };
}

function failing(id: string, cause: unknown): ChainLink {
  return {
    id,
    instance: {
      onRequest() {
        throw cause;
      },
    },
  };
}
