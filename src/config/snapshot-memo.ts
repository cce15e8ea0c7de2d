import type { BackendSpec, ServerSpec } from './schema/backend.js';
import type { CertSpec } from './schema/cert.js';
import type { BackendConfig, CertConfig, ServerConfig } from './snapshot.js';

/**
 * What one snapshot build hands the next so a revision costs what it changed: the ServerConfig of
 * every `servers/` document, the CertConfig of every `certs/` document (its leaf parsed once) and
 * the BackendConfig of every backend, keyed by the decoded documents
 * they were derived from. ConfigState keeps a key's decoded document (the same object) until the
 * key changes, so an identical input object means an identical output, and the previous (frozen)
 * output is reused as is — no new objects, nothing to re-freeze.
 *
 * Owned by one ConfigManager, like its ConfigState. A build without a memo derives everything anew
 * and gives a deep-equal snapshot (test/config/incremental-snapshot.test.ts holds it to that).
 */
export class SnapshotMemo {
  /** per `servers/` document; weak, so a replaced document's entry goes with it */
  readonly #servers = new WeakMap<ServerSpec, ServerConfig>();
  /** per `certs/` document; weak, as above */
  readonly #certs = new WeakMap<CertSpec, CertConfig>();
  readonly #backends = new Map<string, { spec: BackendSpec; keyed: readonly ServerConfig[] | undefined; config: BackendConfig }>();

  server(spec: ServerSpec, make: () => ServerConfig): ServerConfig {
    let config = this.#servers.get(spec);
    if (config === undefined) {
      config = make();
      this.#servers.set(spec, config);
    }
    return config;
  }

  cert(spec: CertSpec, make: () => CertConfig): CertConfig {
    let config = this.#certs.get(spec);
    if (config === undefined) {
      config = make();
      this.#certs.set(spec, config);
    }
    return config;
  }

  /** The backend built from `spec` and these keyed servers (compared one by one, by identity). */
  backend(id: string, spec: BackendSpec, keyed: readonly ServerConfig[] | undefined, make: () => BackendConfig): BackendConfig {
    const last = this.#backends.get(id);
    if (last !== undefined && last.spec === spec && sameItems(last.keyed, keyed)) return last.config;
    const config = make();
    this.#backends.set(id, { spec, keyed, config });
    return config;
  }

  /** Forgets backends that are no longer defined (retained ones are reused from the previous snapshot, not from here). */
  keepBackends(ids: ReadonlySet<string>): void {
    for (const id of this.#backends.keys()) if (!ids.has(id)) this.#backends.delete(id);
  }
}

function sameItems<T>(a: readonly T[] | undefined, b: readonly T[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
