import { ID_RE } from './schema/common.js';

/** Where a key sits in the key layout (docs/configuration.md). */
export type KeyRef =
  | { readonly kind: 'route'; readonly id: string }
  | { readonly kind: 'backend'; readonly id: string }
  | { readonly kind: 'server'; readonly backendId: string; readonly id: string }
  | { readonly kind: 'filter'; readonly id: string }
  | { readonly kind: 'cert'; readonly id: string }
  | { readonly kind: 'acme'; readonly id: string }
  | { readonly kind: 'own'; readonly folder: OwnFolder; readonly id: string }
  | { readonly kind: 'unknown'; readonly reason: string };

/**
 * The folders Junction writes for itself (SPEC §2): instances' status, fleet locks, ACME state,
 * shared guard trips, rollout progress. They are not configuration: never validated, never a
 * reason to rebuild, never written through the API, never part of a diff or rollback.
 */
export const OWN_FOLDERS = ['status', 'locks', 'acme-state', 'guards', 'rollout-status'] as const;
export type OwnFolder = (typeof OWN_FOLDERS)[number];

const FOLDERS: Readonly<Record<string, 'route' | 'backend' | 'filter' | 'cert' | 'acme'>> = {
  routes: 'route',
  backends: 'backend',
  filters: 'filter',
  certs: 'cert',
  acme: 'acme',
};

/** True for a key in one of Junction's own folders (`P/status/…`, `P/locks/…`, …). */
export function isOwnKey(prefix: string, key: string): boolean {
  if (!key.startsWith(prefix + '/')) return false;
  const slash = key.indexOf('/', prefix.length + 1);
  return slash > 0 && (OWN_FOLDERS as readonly string[]).includes(key.slice(prefix.length + 1, slash));
}

/** Parses an absolute key under `prefix` (which has no trailing slash). */
export function parseKey(prefix: string, key: string): KeyRef {
  if (!key.startsWith(prefix + '/')) return { kind: 'unknown', reason: `outside the prefix ${prefix}/` };
  const parts = key.slice(prefix.length + 1).split('/');
  const [folder, a, b] = parts;
  if (folder === 'servers') {
    if (parts.length !== 3 || a === undefined || b === undefined) {
      return { kind: 'unknown', reason: 'servers keys are servers/<backendId>/<serverId>' };
    }
    if (!ID_RE.test(a) || !ID_RE.test(b)) return { kind: 'unknown', reason: 'ids must match ^[a-z0-9][a-z0-9_.-]{0,62}$' };
    return { kind: 'server', backendId: a, id: b };
  }
  if (folder !== undefined && (OWN_FOLDERS as readonly string[]).includes(folder) && parts.length > 1) {
    return { kind: 'own', folder: folder as OwnFolder, id: parts.slice(1).join('/') };
  }
  const kind = folder === undefined || !Object.hasOwn(FOLDERS, folder) ? undefined : FOLDERS[folder];
  if (kind === undefined) return { kind: 'unknown', reason: 'not a routes/, backends/, servers/, filters/, certs/ or acme/ key (nor one of Junction\'s own folders)' };
  if (parts.length !== 2 || a === undefined) return { kind: 'unknown', reason: `${folder} keys are ${folder}/<id>` };
  if (!ID_RE.test(a)) return { kind: 'unknown', reason: 'ids must match ^[a-z0-9][a-z0-9_.-]{0,62}$' };
  return { kind, id: a };
}

export function keyFor(prefix: string, ref: Exclude<KeyRef, { kind: 'unknown' }>): string {
  switch (ref.kind) {
    case 'route':
      return `${prefix}/routes/${ref.id}`;
    case 'backend':
      return `${prefix}/backends/${ref.id}`;
    case 'filter':
      return `${prefix}/filters/${ref.id}`;
    case 'cert':
      return `${prefix}/certs/${ref.id}`;
    case 'acme':
      return `${prefix}/acme/${ref.id}`;
    case 'own':
      return `${prefix}/${ref.folder}/${ref.id}`;
    case 'server':
      return `${prefix}/servers/${ref.backendId}/${ref.id}`;
  }
}
