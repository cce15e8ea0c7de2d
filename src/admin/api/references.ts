import type { FieldError } from '../../config/issues.js';
import type { RouteSpec } from '../../config/schema/route.js';
import { routeBackendRefs } from '../../config/decode/route-rules.js';

/** `ok`: exists with a valid document; `invalid`: the key exists but its document is not valid. */
export type RefState = 'ok' | 'missing' | 'invalid';

/** What a route's references are checked against: the configuration after the write. */
export interface ReferenceView {
  backend(id: string): RefState;
  filter(id: string): RefState;
}

export interface RouteReference {
  readonly field: string;
  readonly kind: 'backend' | 'filter';
  readonly id: string;
}

/**
 * The backends and filters a route document names, with the field naming each (`backend`,
 * `split[1].backend`, `tee[0].backend`, `filters[2]`). Tolerant: it reads whatever is a string
 * where a reference belongs, so a document that also fails its schema still gets every error.
 */
export function routeReferences(doc: unknown): RouteReference[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return [];
  const d = doc as Record<string, unknown>;
  const refs: RouteReference[] = [];
  if (typeof d.backend === 'string') refs.push({ field: 'backend', kind: 'backend', id: d.backend });
  for (const list of ['split', 'tee'] as const) {
    const entries = d[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((e: unknown, i) => {
      const b = e !== null && typeof e === 'object' ? (e as Record<string, unknown>).backend : undefined;
      if (typeof b === 'string') refs.push({ field: `${list}[${i}].backend`, kind: 'backend', id: b });
    });
  }
  if (Array.isArray(d.filters)) {
    d.filters.forEach((f: unknown, i) => {
      if (typeof f === 'string') refs.push({ field: `filters[${i}]`, kind: 'filter', id: f });
    });
  }
  return refs;
}

/** One error per reference to a backend or filter that does not exist; fields in `skip` already have an error. */
export function referenceErrors(refs: readonly RouteReference[], view: ReferenceView, skip: ReadonlySet<string> = new Set()): FieldError[] {
  const errors: FieldError[] = [];
  for (const r of refs) {
    if (skip.has(r.field)) continue;
    const state = r.kind === 'backend' ? view.backend(r.id) : view.filter(r.id);
    if (state === 'missing') errors.push({ field: r.field, message: `names ${r.kind} ${r.id}, which does not exist` });
    if (state === 'invalid') errors.push({ field: r.field, message: `names ${r.kind} ${r.id}, whose document is invalid (${r.kind}s/${r.id})` });
  }
  return errors;
}

/** Does the route use backend (or filter) `id`? */
export function routeUses(spec: RouteSpec, kind: 'backend' | 'filter', id: string): boolean {
  return kind === 'backend' ? routeBackendRefs(spec).includes(id) : (spec.filters ?? []).includes(id);
}
