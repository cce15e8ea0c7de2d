import { ID_RE } from './schema/common.js';

/** Where a key sits in the key layout (docs/configuration.md). */
export type KeyRef =
  | { readonly kind: 'route'; readonly id: string }
  | { readonly kind: 'backend'; readonly id: string }
  | { readonly kind: 'server'; readonly backendId: string; readonly id: string }
  | { readonly kind: 'filter'; readonly id: string }
  | { readonly kind: 'cert'; readonly id: string }
  | { readonly kind: 'status'; readonly id: string }
  | { readonly kind: 'unknown'; readonly reason: string };

const FOLDERS: Readonly<Record<string, 'route' | 'backend' | 'filter' | 'cert' | 'status'>> = {
  routes: 'route',
  backends: 'backend',
  filters: 'filter',
  certs: 'cert',
  status: 'status',
};

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
  const kind = folder === undefined || !Object.hasOwn(FOLDERS, folder) ? undefined : FOLDERS[folder];
  if (kind === undefined) return { kind: 'unknown', reason: 'not a routes/, backends/, servers/, filters/, certs/ or status/ key' };
  if (kind === 'status') return { kind, id: parts.slice(1).join('/') };
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
    case 'status':
      return `${prefix}/status/${ref.id}`;
    case 'server':
      return `${prefix}/servers/${ref.backendId}/${ref.id}`;
  }
}
