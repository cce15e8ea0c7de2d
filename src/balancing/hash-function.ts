/**
 * Fast non-cryptographic hashes for the hash balancer. Not for anything an attacker must not
 * predict: a client that controls its key can always choose its server anyway.
 */

/**
 * 32-bit FNV-1a over the UTF-16 code units of s[start, end) — the same as byte-wise FNV-1a for
 * ASCII. Hashing a range lets callers hash a cookie value or a header's first element without
 * slicing the string.
 */
export function fnv1a32(s: string, start = 0, end = s.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit finalizer: full avalanche of a 32-bit value. */
export function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 (x86, 32-bit) of the single 4-byte block `key` with seed `seed`: combines a
 * request's key hash with a server's seed into one well-mixed 32-bit value in O(1).
 */
export function combine32(key: number, seed: number): number {
  let k = Math.imul(key, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = seed ^ k;
  h = (h << 13) | (h >>> 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  return fmix32(h ^ 4);
}
