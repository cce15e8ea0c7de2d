import type { DocumentKind } from '../../config/decode/decode-document.js';
import type { FieldError } from '../../config/issues.js';
import { parseKey, type KeyRef } from '../../config/key-layout.js';
import type { StoredDoc } from './config-docs.js';
import { checkDocument, type DocumentValidationDeps } from './document-validation.js';
import type { Precondition } from './if-match.js';
import { referenceErrors, routeReferences, routeUses, type ReferenceView, type RefState } from './references.js';

/** A key a write may touch: a route, backend, server or filter (never an instance status key). */
export type DocRef = Extract<KeyRef, { kind: DocumentKind }>;

export interface PlannedWrite {
  readonly op: 'put' | 'delete';
  readonly ref: DocRef;
  /** the key relative to the prefix, e.g. `routes/api` */
  readonly relKey: string;
  /** the parsed document (puts) */
  readonly value?: unknown;
  readonly ifMatch: Precondition;
}

/** Why a write cannot go ahead. `on` says whether the document or the key itself is to blame. */
export interface Problem {
  readonly index: number;
  readonly on: 'value' | 'key';
  readonly field: string;
  readonly message: string;
  /** `invalid`: 400; `not_found`: the key (or the backend of a server) is missing; `in_use`: routes still use it */
  readonly code: 'invalid' | 'not_found' | 'in_use';
  readonly routes?: readonly string[];
}

export interface PlanCheck {
  readonly problems: readonly Problem[];
  /**
   * Keys the plan relies on without writing them (the backends and filters its routes name, the
   * backend of a server), with the mod revision they were checked at: the commit guards on them so
   * a concurrent delete cannot slip between the check and the write.
   */
  readonly guards: ReadonlyMap<string, number>;
}

/** Parses a relative key (`routes/api`) into a document reference, or says what is wrong with it. */
export function docRef(prefix: string, relKey: string): DocRef | string {
  const ref = parseKey(prefix, `${prefix}/${relKey}`);
  if (ref.kind === 'unknown') return ref.reason;
  if (ref.kind === 'own') return `${ref.folder}/ keys are written by Junction instances, not through the API`;
  return ref;
}

/**
 * Checks a set of writes together against the store state `current`: each document as Junction
 * will validate it, then every reference against the state *after* all the writes (a route and
 * the backend it needs may arrive together; deleting a backend a remaining route uses is refused).
 */
export function checkPlan(writes: readonly PlannedWrite[], current: ReadonlyMap<string, StoredDoc>, deps: DocumentValidationDeps): PlanCheck {
  const post = new Map<string, unknown>();
  for (const [k, d] of current) post.set(k, d.json ? d.value : undefined);
  for (const w of writes) {
    if (w.op === 'put') post.set(w.relKey, w.value);
    else post.delete(w.relKey);
  }
  const view = new PostState(post, deps);
  const written = new Set(writes.map((w) => w.relKey));
  const problems: Problem[] = [];
  const guards = new Map<string, number>();
  const guard = (relKey: string) => {
    const doc = current.get(relKey);
    if (doc !== undefined && !written.has(relKey)) guards.set(relKey, doc.modRevision);
  };

  writes.forEach((w, index) => {
    if (w.op === 'delete') {
      if (!current.has(w.relKey)) problems.push({ index, on: 'key', field: '', code: 'not_found', message: `${w.relKey} does not exist` });
      if (w.ref.kind === 'backend' || w.ref.kind === 'filter') {
        const users = view.routesUsing(w.ref.kind, w.ref.id);
        if (users.length > 0) {
          problems.push({
            index,
            on: 'key',
            field: '',
            code: 'in_use',
            routes: users,
            message: `${w.ref.kind} ${w.ref.id} is still used by ${users.map((r) => `routes/${r}`).join(', ')}`,
          });
        }
      }
      return;
    }
    const checked = checkDocument(w.ref.kind, w.value, deps);
    const invalid = new Set<string>();
    if (!checked.ok) {
      for (const e of checked.errors) {
        problems.push({ index, on: 'value', field: e.field, message: e.message, code: 'invalid' });
        invalid.add(e.field);
      }
    }
    if (w.ref.kind === 'route') {
      // references are checked even when the schema failed: every error is reported at once
      const refs = routeReferences(w.value);
      for (const e of referenceErrors(refs, view, invalid)) problems.push({ index, on: 'value', ...e, code: 'invalid' });
      for (const r of refs) guard(r.kind === 'backend' ? `backends/${r.id}` : `filters/${r.id}`);
    } else if (w.ref.kind === 'server') {
      const b = w.ref.backendId;
      if (view.backend(b) === 'missing') problems.push({ index, on: 'key', field: '', code: 'not_found', message: `backend ${b} does not exist` });
      guard(`backends/${b}`);
    }
  });
  return { problems, guards };
}

/** Formats problems as field errors; `at` prefixes them (`ops[2].` in a transaction, '' for one document). */
export function problemFields(problems: readonly Problem[], at: (index: number) => string): FieldError[] {
  return problems.map((p) => {
    const base = at(p.index);
    const field = p.on === 'key' ? `${base}key` : base === '' ? p.field : `${base}value${p.field === '(document)' ? '' : p.field.startsWith('[') ? p.field : `.${p.field}`}`;
    return { field: field === '' ? '(key)' : field, message: p.message };
  });
}

/** The configuration after the writes, as the reference checks see it (only schema-valid documents count). */
class PostState implements ReferenceView {
  readonly #valid = new Map<string, boolean>();

  constructor(
    private readonly docs: ReadonlyMap<string, unknown>,
    private readonly deps: DocumentValidationDeps,
  ) {}

  backend(id: string): RefState {
    return this.#state('backend', `backends/${id}`);
  }

  filter(id: string): RefState {
    // the filter's module may load later (modules hot-reload): existence and schema are what count
    return this.#state('filter', `filters/${id}`, false);
  }

  routesUsing(kind: 'backend' | 'filter', id: string): string[] {
    const out: string[] = [];
    for (const [rel, value] of this.docs) {
      if (!rel.startsWith('routes/') || value === undefined) continue;
      const checked = checkDocument('route', value, { validators: this.deps.validators });
      if (checked.ok && routeUses(checked.doc, kind, id)) out.push(rel.slice('routes/'.length));
    }
    return out.sort();
  }

  #state(kind: 'backend' | 'filter', rel: string, withModules = true): RefState {
    if (!this.docs.has(rel)) return 'missing';
    let ok = this.#valid.get(rel);
    if (ok === undefined) {
      const value = this.docs.get(rel);
      const deps = withModules ? this.deps : { validators: this.deps.validators };
      ok = value !== undefined && checkDocument(kind, value, deps).ok;
      this.#valid.set(rel, ok);
    }
    return ok ? 'ok' : 'invalid';
  }
}
