import type { ConfigStore } from '../../config/store/types.js';
import type { AcmeKeys } from './acme-keys.js';

/** The path the ACME server fetches an HTTP-01 token from (RFC 8555 §8.3). */
export const CHALLENGE_PATH = '/.well-known/acme-challenge/';

/** A token is base64url (RFC 8555 §8.1); anything else is not one, and costs no lookup. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The key authorizations of HTTP-01 challenges, as whichever instance drives ACME wrote them under
 * `P/acme-state/challenges/<token>`: any instance answers, whichever one the ACME server reaches.
 * First from what the watch has delivered (`known`, no I/O); a token not there yet — the watch
 * lags the write by a few milliseconds — is read from the store, at most `maxReads` at once, so a
 * client asking for made-up tokens cannot turn into load on etcd.
 */
export class ChallengeBook {
  #reads = 0;

  constructor(
    private readonly store: Pick<ConfigStore, 'get'>,
    private readonly keys: AcmeKeys,
    private readonly known: (key: string) => string | undefined,
    private readonly maxReads = 4,
  ) {}

  /** The key authorization of `token`, or undefined when there is none (or it cannot be read now). */
  lookup(token: string): string | undefined | Promise<string | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const key = this.keys.challenge(token);
    const value = this.known(key);
    if (value !== undefined) return value;
    if (this.#reads >= this.maxReads) return undefined;
    this.#reads++;
    return this.store.get(key).then(
      (kv) => {
        this.#reads--;
        return kv?.value;
      },
      () => {
        this.#reads--;
        return undefined;
      },
    );
  }
}
