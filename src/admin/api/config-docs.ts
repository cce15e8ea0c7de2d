import type { StoreSnapshot } from '../../config/store/types.js';

/** A stored value parsed once: the JSON value, or `undefined` when the bytes are not JSON. */
export interface StoredDoc {
  readonly modRevision: number;
  readonly raw: string;
  readonly value: unknown;
  readonly json: boolean;
}

/**
 * The configuration keys of one store read, by key relative to the prefix (`routes/api`,
 * `servers/api/s1`); instance `status/` keys are left out. `revision` is the store revision read.
 */
export interface ConfigDocs {
  readonly revision: number;
  readonly docs: ReadonlyMap<string, StoredDoc>;
}

const CONFIG_FOLDERS = ['routes/', 'backends/', 'servers/', 'filters/', 'certs/'];

export function configDocs(snapshot: StoreSnapshot, prefix: string): ConfigDocs {
  const docs = new Map<string, StoredDoc>();
  for (const kv of snapshot.kvs) {
    const rel = kv.key.slice(prefix.length + 1);
    if (!CONFIG_FOLDERS.some((f) => rel.startsWith(f))) continue;
    docs.set(rel, parseStored(kv.value, kv.modRevision));
  }
  return { revision: snapshot.revision, docs };
}

export function parseStored(raw: string, modRevision: number): StoredDoc {
  try {
    return { modRevision, raw, value: JSON.parse(raw) as unknown, json: true };
  } catch {
    return { modRevision, raw, value: undefined, json: false };
  }
}

/** The ids directly under a folder (`routes/`), or under `servers/<backend>/`. */
export function idsUnder(docs: ReadonlyMap<string, StoredDoc>, folder: string): string[] {
  const out: string[] = [];
  for (const rel of docs.keys()) {
    if (!rel.startsWith(folder)) continue;
    const rest = rel.slice(folder.length);
    if (rest !== '' && !rest.includes('/')) out.push(rest);
  }
  return out.sort();
}
