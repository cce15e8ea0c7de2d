import type { FieldError } from '../issues.js';
import type { BackendSpec } from '../schema/backend.js';

/** Checks a server URL: http(s), a host, no credentials, no query or fragment. */
export function serverUrlError(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (u.hostname === '') return 'has no host';
  if (u.username !== '' || u.password !== '') return 'must not carry credentials';
  if (u.search !== '' || u.hash !== '') return 'must not have a query or fragment';
  if (u.pathname !== '/' && u.pathname !== '') return 'must not have a path (routes decide paths)';
  return undefined;
}

export function backendRules(spec: BackendSpec): FieldError[] {
  const errors: FieldError[] = [];
  if (spec.balancer === 'hash' && spec.hashKey === undefined) {
    errors.push({ field: 'hashKey', message: 'is required when balancer is hash' });
  }
  if (spec.hashKey !== undefined && spec.balancer !== 'hash') {
    errors.push({ field: 'hashKey', message: 'only applies when balancer is hash' });
  }
  const ids = new Set<string>();
  (spec.servers ?? []).forEach((s, i) => {
    if (ids.has(s.id)) errors.push({ field: `servers[${i}].id`, message: `names server ${s.id} twice` });
    ids.add(s.id);
    const urlError = serverUrlError(s.url);
    if (urlError) errors.push({ field: `servers[${i}].url`, message: urlError });
  });
  const hc = spec.healthCheck;
  if (hc?.timeoutMs !== undefined && hc.intervalMs !== undefined && hc.timeoutMs > hc.intervalMs) {
    errors.push({ field: 'healthCheck.timeoutMs', message: 'must not exceed healthCheck.intervalMs' });
  }
  return errors;
}
