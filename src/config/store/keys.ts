import { InvalidKeyError, InvalidRequestError } from './errors.js';
import type { StoredValue, TxnCondition, TxnOp } from './types.js';

/** `/junction/` -> `/junction`; rejects an empty prefix (every key would match). */
export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/\/+$/, '');
  if (p.length === 0) throw new InvalidRequestError(`invalid store prefix ${JSON.stringify(prefix)}: it must not be empty or "/"`);
  return p;
}

/** true when `key` lies under `prefix + '/'` (the range a store loads and watches). */
export function inPrefix(prefix: string, key: string): boolean {
  return key.length > prefix.length + 1 && key.startsWith(prefix + '/');
}

export function assertKey(prefix: string, key: string): void {
  if (typeof key !== 'string' || !inPrefix(prefix, key)) throw new InvalidKeyError(String(key), prefix);
}

/** Checks every key of a transaction and refuses two operations on one key (etcd refuses them too). */
export function assertTxn(prefix: string, ops: readonly TxnOp[], conditions: readonly TxnCondition[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    assertKey(prefix, op.key);
    if (op.op !== 'put' && op.op !== 'delete') throw new InvalidRequestError(`unknown txn op ${JSON.stringify((op as { op: unknown }).op)}`);
    if (op.op === 'put' && typeof op.value !== 'string') throw new InvalidRequestError(`txn put of ${op.key}: value must be a string`);
    if (seen.has(op.key)) throw new InvalidRequestError(`txn writes ${op.key} twice; one transaction may touch a key only once`);
    seen.add(op.key);
  }
  for (const c of conditions) {
    assertKey(prefix, c.key);
    if (!Number.isSafeInteger(c.modRevision) || c.modRevision < 0) {
      throw new InvalidRequestError(`txn condition on ${c.key}: modRevision must be an integer >= 0`);
    }
  }
}

export function assertTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 1) {
    throw new InvalidRequestError(`ephemeral key TTL must be at least 1 second, got ${ttlSeconds}`);
  }
}

/** etcd orders keys by their bytes; so do we (string `<` differs for non-BMP characters). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function sortByKey<T extends Pick<StoredValue, 'key'>>(values: T[]): T[] {
  return values.sort((x, y) => compareKeys(x.key, y.key));
}
