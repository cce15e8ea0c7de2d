import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Ajv } from 'ajv';
import type { Logger } from 'pino';
import { toFieldErrors } from '../config/decode/ajv-errors.js';
import type { FieldError } from '../config/issues.js';
import type { FilterCatalog } from '../config/filter-catalog.js';
import { loadModule, type LoadedModule } from './load-module.js';

export interface ModuleError {
  readonly file: string;
  readonly message: string;
}

interface FileState {
  readonly signature: string;
  /** the type this file last provided (kept serving while a newer edit of the file is broken) */
  loaded: LoadedModule | undefined;
  error: string | undefined;
}

/**
 * The filter modules from the built-in folder and the user folder (`--filters-dir`), watched and
 * hot-reloaded. A changed file is re-imported as a fresh module; if the new version fails (import
 * error, no type, bad schema) the file's last good version keeps serving and the error is
 * reported; a deleted file stops being offered. The user folder wins over the built-ins for a type
 * both define. The `onChange` given to `start` runs after every rescan that changed what is offered.
 */
export class ModuleRegistry implements FilterCatalog {
  readonly #dirs: readonly string[];
  readonly #files = new Map<string, FileState>();
  #byType = new Map<string, LoadedModule>();
  /** types whose file is gone: kept so filters already serving with them keep working */
  readonly #retired = new Map<string, LoadedModule>();
  #conflicts: ModuleError[] = [];
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #rescan = false;
  #sequence = 0;
  #closed = false;
  #onChange: () => void = () => undefined;

  constructor(
    dirs: ReadonlyArray<string | undefined>,
    private readonly ajv: Ajv,
    private readonly logger: Logger,
    private readonly debounceMs = 100,
  ) {
    this.#dirs = dirs.filter((d): d is string => d !== undefined);
  }

  /** Scans the folders once, then watches them; `onChange` runs after each rescan that changed what is offered. */
  async start(onChange: () => void): Promise<void> {
    await this.scan();
    this.#onChange = onChange; // the first scan is what the first configuration is built with
    for (const dir of this.#dirs) {
      try {
        const w = watch(dir, { recursive: true }, () => this.#schedule());
        w.on('error', (err) => this.logger.warn({ err, dir }, 'filter folder watch failed'));
        this.#watchers.push(w);
      } catch (err) {
        this.logger.warn({ err, dir }, 'cannot watch the filter folder; changes need a restart');
      }
    }
  }

  types(): ReadonlySet<string> {
    return new Set(this.#byType.keys());
  }

  /** the module serving `type`: the loaded one, or the last version of a deleted one */
  get(type: string): LoadedModule | undefined {
    return this.#byType.get(type) ?? this.#retired.get(type);
  }

  retired(type: string): boolean {
    return !this.#byType.has(type) && this.#retired.has(type);
  }

  validate(type: string, config: unknown): FieldError[] {
    const mod = this.#byType.get(type);
    if (mod === undefined) return [{ field: 'type', message: `type ${type} is not a loaded filter module` }];
    if (mod.validate === undefined || mod.validate(config ?? {})) return [];
    return toFieldErrors(mod.validate.errors).map((e) => ({
      field: e.field === '(document)' ? 'config' : `config.${e.field}`,
      message: e.message,
    }));
  }

  /** every module file that failed to load, and every type defined twice */
  errors(): ModuleError[] {
    const out: ModuleError[] = [];
    for (const [file, st] of this.#files) if (st.error !== undefined) out.push({ file, message: st.error });
    return [...out, ...this.#conflicts];
  }

  modules(): Array<{ type: string; file: string; version: string }> {
    return [...this.#byType.values()].map((m) => ({ type: m.type, file: m.file, version: m.version }));
  }

  /** Re-reads both folders now (also what the watcher triggers). */
  scan(): Promise<void> {
    if (this.#scanning) {
      this.#rescan = true;
      return this.#scanning;
    }
    this.#scanning = this.#scanOnce().finally(() => {
      this.#scanning = undefined;
      if (this.#rescan && !this.#closed) {
        this.#rescan = false;
        void this.scan();
      }
    });
    return this.#scanning;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.scan(), this.debounceMs);
  }

  async #scanOnce(): Promise<void> {
    const seen = new Set<string>();
    let changed = false;
    for (const dir of this.#dirs) {
      for (const file of await moduleFiles(dir, this.logger)) {
        seen.add(file);
        const signature = await signatureOf(file);
        const prev = this.#files.get(file);
        if (prev && prev.signature === signature) continue;
        changed = true;
        try {
          const loaded = await loadModule(file, this.ajv, ++this.#sequence);
          this.#files.set(file, { signature, loaded, error: undefined });
          this.logger.info({ file, type: loaded.type }, prev ? 'filter module reloaded' : 'filter module loaded');
        } catch (err) {
          const message = (err as Error).message;
          this.#files.set(file, { signature, loaded: prev?.loaded, error: message });
          this.logger.error({ file, err: message }, prev?.loaded ? 'filter module edit rejected; its last good version keeps serving' : 'filter module failed to load');
        }
      }
    }
    for (const file of [...this.#files.keys()]) {
      if (seen.has(file)) continue;
      this.#files.delete(file);
      changed = true;
      this.logger.info({ file }, 'filter module removed');
    }
    if (changed) {
      this.#rebuildTypes();
      if (!this.#closed) this.#onChange();
    }
  }

  #rebuildTypes(): void {
    const byType = new Map<string, LoadedModule>();
    const conflicts: ModuleError[] = [];
    // Folders in order (built-ins first), files sorted: a later folder overrides an earlier one.
    for (const dir of this.#dirs) {
      const inDir = new Map<string, string>();
      for (const [file, st] of [...this.#files].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!file.startsWith(dir + sep) || st.loaded === undefined) continue;
        const other = inDir.get(st.loaded.type);
        if (other !== undefined) {
          conflicts.push({ file, message: `type ${st.loaded.type} is already defined by ${other}; this file is ignored` });
          continue;
        }
        inDir.set(st.loaded.type, file);
        byType.set(st.loaded.type, st.loaded);
      }
    }
    for (const [type, mod] of this.#byType) if (!byType.has(type)) this.#retired.set(type, mod);
    for (const type of byType.keys()) this.#retired.delete(type);
    this.#byType = byType;
    this.#conflicts = conflicts;
  }
}

/** `*.js` / `*.mjs` files, and folders with an `index.js` / `index.mjs`, directly in `dir`. */
async function moduleFiles(dir: string, logger: Logger): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    logger.warn({ err, dir }, 'cannot read the filter folder');
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isFile() && /\.(m?js)$/.test(e.name)) out.push(join(dir, e.name));
    else if (e.isDirectory()) {
      for (const index of ['index.js', 'index.mjs']) {
        const p = join(dir, e.name, index);
        if (await exists(p)) {
          out.push(p);
          break;
        }
      }
    }
  }
  return out.sort();
}

async function signatureOf(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
