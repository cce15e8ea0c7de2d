import type { FilterCatalog } from './filter-catalog.js';
import type { ConfigState, KeyEntry } from './config-state.js';
import { routeBackendRefs } from './decode/route-rules.js';
import { backendConfig, serverConfig } from './backend-config.js';
import { certConfig } from './cert-config.js';
import { deepFreeze } from './deep-freeze.js';
import type { ConfigIssue } from './issues.js';
import type { BackendSpec, ServerSpec } from './schema/backend.js';
import type { CertSpec } from './schema/cert.js';
import type { AcmeSpec } from './schema/acme.js';
import type { SnapshotMemo } from './snapshot-memo.js';
import type { FilterSpec } from './schema/filter.js';
import type { RouteSpec } from './schema/route.js';
import type { AcmeConfig, BackendConfig, CertConfig, ConfigSnapshot, FilterConfig, RouteConfig, ServerConfig } from './snapshot.js';

export interface BuildSnapshotOptions {
  readonly prefix: string;
  /** the loaded filter modules: a FilterSpec naming another type, or whose config its module's schema rejects, is not usable */
  readonly filters: FilterCatalog;
  readonly now: () => Date;
  /** what the previous build derived, reused where its inputs are the same objects; without it everything is derived anew */
  readonly memo?: SnapshotMemo;
}

/**
 * Builds the next immutable snapshot from the decoded state.
 *
 * Reference rules (docs/configuration.md, how changes apply): a route whose backend or filter does not exist keeps its last
 * valid version, or stays inactive if it never had one. A backend or filter that is deleted while
 * an active route still uses it is *retained* (its last version keeps serving, with an issue on its
 * key) until no route refers to it: deleting a key can never drop a route that was serving.
 *
 * `activeRoutes` carries, across builds, the last version of each route that was active.
 *
 * Cost: one pass over the decoded keys (cheap: no decoding, no validation — ConfigState did that
 * once per changed key), new maps for the snapshot, and new config objects only for what changed:
 * a route whose document is unchanged keeps its RouteConfig (from `activeRoutes`), a filter its
 * FilterConfig (from `previous`), a backend whose
 * document and `servers/` keys are unchanged keeps its BackendConfig (from `opts.memo`), a
 * certificate its CertConfig (from `opts.memo`), and the `certs` map itself is the previous
 * snapshot's while no certificate changed (the SNI index is then reused as it is). Reused
 * objects are already frozen, so freezing the snapshot only walks its new parts.
 */
export function buildSnapshot(
  state: ConfigState,
  previous: ConfigSnapshot | undefined,
  activeRoutes: Map<string, RouteConfig>,
  opts: BuildSnapshotOptions,
): ConfigSnapshot {
  const issues: ConfigIssue[] = [];
  const routeEntries: KeyEntry[] = [];
  const backendEntries: KeyEntry[] = [];
  const serversByBackend = new Map<string, ServerConfig[]>();
  const filters = new Map<string, FilterConfig>();
  const certs = new Map<string, CertConfig>();
  const acme = new Map<string, AcmeConfig>();

  for (const entry of state.entries()) {
    issues.push(...entry.issues);
    const { ref, valid } = entry;
    if (!valid) continue;
    switch (ref.kind) {
      case 'route':
        routeEntries.push(entry);
        break;
      case 'backend':
        backendEntries.push(entry);
        break;
      case 'server': {
        const spec = valid.doc as ServerSpec;
        const list = serversByBackend.get(ref.backendId) ?? [];
        list.push(opts.memo ? opts.memo.server(spec, () => serverConfig(ref.id, spec, entry.key)) : serverConfig(ref.id, spec, entry.key));
        serversByBackend.set(ref.backendId, list);
        break;
      }
      case 'cert': {
        const spec = valid.doc as CertSpec;
        const make = () => certConfig(ref.id, entry.key, valid.modRevision, spec);
        certs.set(ref.id, opts.memo ? opts.memo.cert(spec, make) : make());
        break;
      }
      case 'acme': {
        const last = previous?.acme.get(ref.id);
        const same = last !== undefined && last.modRevision === valid.modRevision;
        acme.set(ref.id, same ? last : { id: ref.id, key: entry.key, modRevision: valid.modRevision, certId: `acme-${ref.id}`, domains: (valid.doc as AcmeSpec).domains });
        break;
      }
      case 'filter': {
        const spec = valid.doc as FilterSpec;
        const errors = opts.filters.validate(spec.type, spec.config);
        if (errors.length === 0) {
          const last = previous?.filters.get(ref.id);
          const same = opts.memo !== undefined && last?.spec === spec && last.modRevision === valid.modRevision;
          filters.set(ref.id, same ? last : { id: ref.id, key: entry.key, modRevision: valid.modRevision, spec });
          break;
        }
        // The module rejects this config (or is not loaded): the last version it accepted keeps serving.
        // A deleted module: filters already serving with it keep their last version.
        const old = previous?.filters.get(ref.id);
        const keep = old !== undefined && (opts.filters.retired(old.spec.type) || (old.modRevision !== valid.modRevision && opts.filters.validate(old.spec.type, old.spec.config).length === 0));
        if (keep) filters.set(ref.id, old);
        for (const e of errors) {
          issues.push({
            key: entry.key,
            field: e.field,
            code: 'invalid_value',
            message: `${e.field} ${e.message}${keep ? `; revision ${old.modRevision} keeps serving` : ''}${keep && opts.filters.retired(old.spec.type) ? ' (its module file was removed)' : ''}`,
            revision: valid.modRevision,
          });
        }
        break;
      }
      default:
        break;
    }
  }

  const backends = new Map<string, BackendConfig>();
  for (const entry of backendEntries) {
    if (entry.ref.kind !== 'backend' || !entry.valid) continue;
    const id = entry.ref.id;
    const { doc, modRevision } = entry.valid;
    const keyed = serversByBackend.get(id);
    const make = () => backendConfig(id, entry.key, modRevision, doc as BackendSpec, keyed);
    backends.set(id, opts.memo ? opts.memo.backend(id, doc as BackendSpec, keyed, make) : make());
  }
  opts.memo?.keepBackends(new Set(backends.keys()));

  // Keeps a deleted (or no longer usable) backend or filter serving for the routes still using it.
  const retained = new Set<string>();
  const retain = <T extends { key: string; modRevision: number }>(into: Map<string, T>, id: string, old: T, what: string, routeKey: string): void => {
    into.set(id, old);
    if (retained.has(old.key)) return;
    retained.add(old.key);
    issues.push({
      key: old.key,
      code: 'retained',
      message: `${what} ${id} is gone or unusable but still used by ${routeKey}: its last version keeps serving`,
      revision: old.modRevision,
    });
  };
  // A backend's client certificate (mutual TLS): a deleted one keeps serving while the backend
  // names it; one that never existed is reported, and the servers get no client certificate.
  for (const b of backends.values()) {
    const id = b.tls?.clientCert;
    if (id === undefined || certs.has(id)) continue;
    const old = previous?.certs.get(id);
    if (old) retain(certs, id, old, 'certificate', b.key);
    else {
      issues.push({
        key: b.key,
        code: 'unresolved_reference',
        field: 'tls.clientCert',
        message: `refers to certificate ${id}, which does not exist; its servers are shown no client certificate`,
        revision: b.modRevision,
      });
    }
  }
  const resolve = (spec: RouteSpec, routeKey: string): string[] => {
    const missing: string[] = [];
    for (const id of routeBackendRefs(spec)) {
      if (backends.has(id)) continue;
      const old = previous?.backends.get(id);
      if (old) retain(backends, id, old, 'backend', routeKey);
      else missing.push(`backend ${id}`);
    }
    for (const id of spec.filters ?? []) {
      if (filters.has(id)) continue;
      const old = previous?.filters.get(id);
      if (old && (opts.filters.retired(old.spec.type) || opts.filters.validate(old.spec.type, old.spec.config).length === 0)) {
        retain(filters, id, old, 'filter', routeKey);
      } else missing.push(`filter ${id}`);
    }
    return missing;
  };

  const routes = new Map<string, RouteConfig>();
  const seenRoutes = new Set<string>();
  for (const entry of routeEntries) {
    if (entry.ref.kind !== 'route' || !entry.valid) continue;
    const id = entry.ref.id;
    seenRoutes.add(id);
    const spec = entry.valid.doc as RouteSpec;
    const missing = resolve(spec, entry.key);
    if (missing.length === 0) {
      const last = activeRoutes.get(id);
      const route: RouteConfig =
        opts.memo && last?.spec === spec && last.modRevision === entry.valid.modRevision
          ? last
          : { id, key: entry.key, modRevision: entry.valid.modRevision, spec, priority: spec.priority ?? 0 };
      routes.set(id, route);
      activeRoutes.set(id, route);
      continue;
    }
    const last = activeRoutes.get(id);
    const fallback = last && last.modRevision !== entry.valid.modRevision && resolve(last.spec, entry.key).length === 0;
    issues.push({
      key: entry.key,
      code: 'unresolved_reference',
      field: missing[0]?.startsWith('filter') ? 'filters' : 'backend',
      message: `refers to ${missing.join(', ')}, which does not exist; ${
        fallback ? `revision ${last.modRevision} of this route keeps serving` : 'the route is inactive'
      }`,
      revision: entry.valid.modRevision,
    });
    if (fallback) routes.set(id, last);
  }
  for (const id of [...activeRoutes.keys()]) if (!seenRoutes.has(id)) activeRoutes.delete(id);

  issues.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.field ?? '').localeCompare(b.field ?? '')));
  return deepFreeze({
    revision: state.revision,
    appliedAt: opts.now().toISOString(),
    routes,
    backends,
    filters,
    certs: opts.memo && previous !== undefined && sameEntries(previous.certs, certs) ? previous.certs : certs,
    acme: previous !== undefined && sameEntries(previous.acme, acme) ? previous.acme : acme,
    issues,
  });
}

function sameEntries<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of b) if (a.get(k) !== v) return false;
  return true;
}
