import { open, readFile, rename, rm } from 'node:fs/promises';
import { StoreCorruptError, StoreIoError } from './errors.js';
import type { StoredValue } from './types.js';

/**
 * The embedded store's file: one JSON document holding the store revision and every persistent
 * key (ephemeral keys are never written). Replaced atomically on each write:
 * write `store.json.tmp`, fsync it, rename it over `store.json`, fsync the directory.
 */
export const STORE_FILE = 'store.json';
export const TEMP_FILE = 'store.json.tmp';
export const FORMAT = 'junction-embedded-store';
export const FORMAT_VERSION = 1;

export interface StoreFileContent {
  readonly revision: number;
  readonly kvs: readonly StoredValue[];
}

/** Pretty JSON with one key per line, so the file reads and diffs well. */
export function encodeStoreFile(content: StoreFileContent): string {
  const kvs = content.kvs.map((kv) =>
    JSON.stringify({
      key: kv.key,
      value: kv.value,
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
      version: kv.version,
    }),
  );
  return [
    '{',
    ` "format": ${JSON.stringify(FORMAT)},`,
    ` "formatVersion": ${FORMAT_VERSION},`,
    ` "revision": ${content.revision},`,
    kvs.length === 0 ? ' "kvs": []' : ` "kvs": [\n  ${kvs.join(',\n  ')}\n ]`,
    '}',
    '',
  ].join('\n');
}

/** Parses and checks a store file; any inconsistency is a StoreCorruptError naming what is wrong. */
export function decodeStoreFile(path: string, text: string): StoreFileContent {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new StoreCorruptError(path, text.length === 0 ? 'the file is empty' : `not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const fail = (reason: string): never => {
    throw new StoreCorruptError(path, reason);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('the document is not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d['format'] !== FORMAT) return fail(`"format" is ${JSON.stringify(d['format'])}, expected ${JSON.stringify(FORMAT)}`);
  if (d['formatVersion'] !== FORMAT_VERSION) return fail(`unsupported "formatVersion" ${JSON.stringify(d['formatVersion'])}`);
  const revision = d['revision'];
  if (!isRevision(revision)) return fail('"revision" must be an integer >= 1');
  const rawKvs = d['kvs'];
  if (!Array.isArray(rawKvs)) return fail('"kvs" must be an array');
  const seen = new Set<string>();
  const kvs: StoredValue[] = rawKvs.map((raw: unknown, i): StoredValue => {
    if (typeof raw !== 'object' || raw === null) return fail(`kvs[${i}] is not an object`);
    const kv = raw as Record<string, unknown>;
    const { key, value, createRevision, modRevision, version } = kv;
    if (typeof key !== 'string' || key.length === 0) return fail(`kvs[${i}].key must be a non-empty string`);
    if (typeof value !== 'string') return fail(`kvs[${i}] (${key}): value must be a string`);
    if (!isRevision(createRevision) || !isRevision(modRevision) || !isRevision(version)) {
      return fail(`kvs[${i}] (${key}): createRevision, modRevision and version must be integers >= 1`);
    }
    if (createRevision > modRevision || modRevision > revision) {
      return fail(`kvs[${i}] (${key}): revisions out of order (create ${createRevision}, mod ${modRevision}, store ${revision})`);
    }
    if (seen.has(key)) return fail(`kvs[${i}]: duplicate key ${key}`);
    seen.add(key);
    return { key, value, createRevision, modRevision, version };
  });
  return { revision, kvs };
}

function isRevision(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
}

/** Reads the store file; `undefined` when it does not exist yet. */
export async function readStoreFile(path: string): Promise<StoreFileContent | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreIoError(`cannot read embedded store file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return decodeStoreFile(path, text);
}

/** Crash-safe replace: when this resolves the new content is durable; a crash leaves the old or the new file. */
export async function writeFileDurably(dir: string, path: string, tempPath: string, data: string): Promise<void> {
  try {
    const fh = await open(tempPath, 'w', 0o600);
    try {
      await fh.writeFile(data, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tempPath, path);
    await syncDirectory(dir);
  } catch (err) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw new StoreIoError(`cannot write embedded store file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** fsync of a directory makes a rename durable; some platforms refuse it, which is then not fatal. */
export async function syncDirectory(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'EBADF') throw err;
  } finally {
    await fh.close();
  }
}
