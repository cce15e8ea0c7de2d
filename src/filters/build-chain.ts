import type { ConfigSnapshot, RouteConfig } from '../config/snapshot.js';
import { FilterChain, type ChainLink } from './chain.js';
import type { FilterRunError } from './errors.js';
import { FilterInstances } from './instance-registry.js';
import type { LoadedModule } from './load-module.js';

export interface ChainResources {
  readonly modules: { get(type: string): LoadedModule | undefined };
  readonly instances: FilterInstances;
  readonly budgetMs: number;
  readonly onFailure: (err: FilterRunError) => void;
  /** creation failures, reported once per instance key */
  readonly onCreateError: (filterId: string, err: unknown) => void;
}

/**
 * The chain of a route, or undefined when it has no filters. A filter whose create() throws is
 * replaced by a link that fails every request (500): a route never serves without a filter its
 * configuration asks for.
 */
export function buildChain(
  route: RouteConfig,
  snapshot: ConfigSnapshot,
  res: ChainResources,
  keys: Set<string>,
): FilterChain | undefined {
  const ids = route.spec.filters ?? [];
  if (ids.length === 0) return undefined;
  const links: ChainLink[] = [];
  for (const id of ids) {
    const filter = snapshot.filters.get(id);
    const mod = filter === undefined ? undefined : res.modules.get(filter.spec.type);
    if (filter === undefined || mod === undefined) {
      links.push(failing(id, new Error(`filter ${id} is not available`)));
      continue;
    }
    try {
      links.push({ id, instance: res.instances.acquire(filter, mod).instance });
      keys.add(FilterInstances.key(filter, mod));
    } catch (err) {
      res.onCreateError(id, err);
      links.push(failing(id, err));
    }
  }
  return new FilterChain(links, res.budgetMs, res.onFailure);
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
