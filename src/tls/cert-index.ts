import { createSecureContext, type SecureContext } from 'node:tls';
import type { CertConfig } from '../config/snapshot.js';

/**
 * The TLS contexts of certificates, made once per certificate — on its first handshake, not per
 * handshake and not per snapshot — and reused for as long as the CertConfig object is the same
 * (the snapshot memo keeps it while the `certs/<id>` value is unchanged). Keyed weakly by the
 * CertConfig, so a replaced or deleted certificate's context goes with it. One per Junction
 * instance, made by the composition root and handed to every index build.
 */
export class SecureContexts {
  readonly #contexts = new WeakMap<CertConfig, SecureContext | Error>();
  #made = 0;

  /** `onError` hears of a certificate TLS could not load (validation makes that unexpected); it is asked once per CertConfig. */
  constructor(private readonly onError?: (cert: CertConfig, err: unknown) => void) {}

  /** The certificate's context, made now if it has none yet; undefined when TLS cannot load it. */
  get(cert: CertConfig): SecureContext | undefined {
    let ctx = this.#contexts.get(cert);
    if (ctx === undefined) {
      try {
        ctx = createSecureContext({ cert: cert.certPem, key: cert.keyPem });
        this.#made++;
      } catch (err) {
        ctx = err instanceof Error ? err : new Error(String(err));
        this.onError?.(cert, err);
      }
      this.#contexts.set(cert, ctx);
    }
    return ctx instanceof Error ? undefined : ctx;
  }

  /** how many contexts were made (each certificate's once) */
  get made(): number {
    return this.#made;
  }
}

/**
 * Which certificate serves a TLS handshake, by its SNI name (docs/tls.md):
 *
 * 1. a certificate with a DNS subjectAltName equal to the name (case-insensitive);
 * 2. else one with the wildcard `*.` + the name less its first label (`*.example.com` covers
 *    `a.example.com`, not `a.b.example.com` nor `example.com`);
 * 3. else the certificate marked `default` (also when the client sent no name).
 *
 * When several certificates are candidates at the same step, the one whose leaf expires last
 * wins (ties: the smaller id), so a rotation is "put the new one, delete the old one later".
 * Lookups cost two map reads whatever the number of certificates: the index keeps one map by exact
 * name and one by wildcard parent, each entry already the winner. Built once per snapshot whose
 * certificates changed; immutable.
 */
export class CertIndex {
  private constructor(
    /** the snapshot's certificates it was built from */
    readonly certs: ReadonlyMap<string, CertConfig>,
    private readonly exact: ReadonlyMap<string, CertConfig>,
    private readonly wildcard: ReadonlyMap<string, CertConfig>,
    private readonly fallback: CertConfig | undefined,
    private readonly contexts: SecureContexts,
  ) {}

  static build(certs: ReadonlyMap<string, CertConfig>, contexts: SecureContexts): CertIndex {
    const expiry = new Map<CertConfig, number>();
    const expires = (c: CertConfig): number => {
      let t = expiry.get(c);
      if (t === undefined) expiry.set(c, (t = Date.parse(c.notAfter)));
      return t;
    };
    const better = (a: CertConfig | undefined, b: CertConfig): CertConfig => {
      if (a === undefined) return b;
      const d = expires(b) - expires(a);
      return d > 0 || (d === 0 && b.id < a.id) ? b : a;
    };
    const exact = new Map<string, CertConfig>();
    const wildcard = new Map<string, CertConfig>();
    let fallback: CertConfig | undefined;
    for (const cert of certs.values()) {
      for (const san of cert.sans) {
        const name = normalize(san);
        if (name.startsWith('*.')) {
          const parent = name.slice(2);
          if (parent !== '' && !parent.includes('*')) wildcard.set(parent, better(wildcard.get(parent), cert));
        } else if (name !== '' && !name.includes('*')) {
          exact.set(name, better(exact.get(name), cert));
        }
      }
      if (cert.default) fallback = better(fallback, cert);
    }
    return new CertIndex(certs, exact, wildcard, fallback, contexts);
  }

  /** The certificate that serves `servername` (undefined: no name asked for), or undefined when none does. */
  match(servername: string | undefined): CertConfig | undefined {
    if (servername === undefined || servername === '') return this.fallback;
    const name = normalize(servername);
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.wildcard.get(name.slice(dot + 1));
      if (wild !== undefined) return wild;
    }
    return this.fallback;
  }

  /**
   * The TLS context for a handshake asking for `servername` (the listener's SNICallback), or
   * undefined when no certificate covers it and none is the default: the handshake is refused
   * (with `handshake_failure`: Node's TLS cannot send `unrecognized_name`, docs/tls.md).
   */
  pick(servername: string | undefined): SecureContext | undefined {
    const cert = this.match(servername);
    return cert === undefined ? undefined : this.contexts.get(cert);
  }

  get size(): number {
    return this.certs.size;
  }
}

/** Lower-case, without the trailing dot of a fully qualified name. */
function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}
