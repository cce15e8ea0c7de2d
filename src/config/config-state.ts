import { decodeDocument, type Clock, type DocumentKind, type DocumentTypes } from './decode/decode-document.js';
import type { Validators } from './decode/validators.js';
import type { ConfigIssue } from './issues.js';
import { isOwnKey, parseKey, type KeyRef } from './key-layout.js';
import type { StoreEvent, StoreSnapshot, StoreUpdate, StoredValue } from './store/types.js';

/** The last valid version of one key's document. */
export interface ValidVersion<K extends DocumentKind = DocumentKind> {
  readonly doc: DocumentTypes[K];
  readonly modRevision: number;
}

/** What Junction knows of one stored key. */
export interface KeyEntry {
  readonly key: string;
  readonly ref: KeyRef;
  readonly raw: StoredValue;
  /** the last version that passed validation, if any (may be older than `raw`) */
  readonly valid: ValidVersion | undefined;
  /** problems with the latest value (`raw`); empty when it is the valid one */
  readonly issues: readonly ConfigIssue[];
}

/**
 * The decoded view of every key under the prefix, kept between revisions so a rejected value
 * leaves the key's last valid version in place. Owned by one ConfigManager; not shared.
 */
export class ConfigState {
  readonly #entries = new Map<string, KeyEntry>();
  #revision = 0;

  /**
   * `now` is the clock a value is checked against when it arrives (a certificate outside its
   * validity period is rejected then); a value already accepted is not checked again as time passes.
   */
  constructor(
    private readonly prefix: string,
    private readonly validators: Validators,
    private readonly now: Clock = () => new Date(),
  ) {}

  /**
   * The revision of the last full read, or of the last update that touched configuration: an
   * update that only rewrote Junction's own keys (`status/`, `locks/`, `acme-state/`…) does not move it, so a snapshot rebuilt later (a filter
   * module reloaded) still reports the revision of the configuration it serves.
   */
  get revision(): number {
    return this.#revision;
  }

  entries(): IterableIterator<KeyEntry> {
    return this.#entries.values();
  }

  get(key: string): KeyEntry | undefined {
    return this.#entries.get(key);
  }

  /**
   * Applies one store update. Returns the issues of the values it rejected, and whether it touched
   * configuration at all (an update that only rewrote Junction's own keys — instances reporting
   * themselves — changes nothing to serve, and must not cost every instance a rebuild).
   */
  apply(update: StoreUpdate): { rejected: ConfigIssue[]; configChanged: boolean } {
    if (update.kind === 'reset') return { rejected: this.#reset(update.snapshot), configChanged: true };
    const configChanged = update.events.some((ev) => !isOwnKey(this.prefix, ev.key));
    return { rejected: this.#changes(configChanged ? update.revision : this.#revision, update.events), configChanged };
  }

  #reset(snapshot: StoreSnapshot): ConfigIssue[] {
    const rejected: ConfigIssue[] = [];
    const present = new Set<string>();
    for (const kv of snapshot.kvs) {
      present.add(kv.key);
      const prev = this.#entries.get(kv.key);
      if (prev && prev.raw.modRevision === kv.modRevision) continue;
      rejected.push(...this.#put(kv));
    }
    for (const key of [...this.#entries.keys()]) if (!present.has(key)) this.#entries.delete(key);
    this.#revision = snapshot.revision;
    return rejected;
  }

  #changes(revision: number, events: readonly StoreEvent[]): ConfigIssue[] {
    const rejected: ConfigIssue[] = [];
    for (const ev of events) {
      if (ev.type === 'delete') this.#entries.delete(ev.key);
      else rejected.push(...this.#put(ev));
    }
    this.#revision = Math.max(this.#revision, revision);
    return rejected;
  }

  #put(kv: StoredValue): ConfigIssue[] {
    const ref = parseKey(this.prefix, kv.key);
    const prev = this.#entries.get(kv.key);
    let valid = prev?.valid;
    let issues: ConfigIssue[] = [];
    if (ref.kind === 'unknown') {
      issues = [{ key: kv.key, code: 'unknown_key', message: `unknown key: ${ref.reason}`, revision: kv.modRevision }];
      valid = undefined;
    } else if (ref.kind !== 'own') {
      const decoded = decodeDocument(ref.kind, kv.value, this.validators, this.now);
      if (decoded.ok) {
        valid = { doc: decoded.value, modRevision: kv.modRevision };
      } else {
        issues = decoded.errors.map((e) => ({
          key: kv.key,
          field: e.field,
          code: decoded.json ? 'invalid_value' : 'invalid_json',
          message: `${e.field === '(document)' ? 'the value' : e.field} ${e.message}`,
          revision: kv.modRevision,
        }));
      }
    }
    this.#entries.set(kv.key, { key: kv.key, ref, raw: kv, valid, issues });
    return issues;
  }
}
