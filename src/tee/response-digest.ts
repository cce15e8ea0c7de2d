import { createHash, type Hash } from 'node:crypto';

/**
 * What compare mode compares of a response: its status, the chosen headers, and a SHA-1 of its
 * body computed chunk by chunk as the body streams past (never buffered whole).
 */
export class ResponseDigest {
  status = 0;
  readonly headers: Record<string, string | undefined> = {};
  #hash: Hash | undefined = createHash('sha1');
  #body: string | undefined;

  constructor(private readonly names: readonly string[]) {}

  /** Records the status and chosen headers from undici's raw header list. */
  onHeaders(status: number, raw: readonly Buffer[]): void {
    this.status = status;
    for (let i = 0; i < raw.length; i += 2) {
      const name = (raw[i] as Buffer).toString('latin1').toLowerCase();
      if (!this.names.includes(name)) continue;
      const value = (raw[i + 1] as Buffer).toString('latin1');
      this.headers[name] = this.headers[name] === undefined ? value : `${this.headers[name]}, ${value}`;
    }
  }

  onData(chunk: Buffer): void {
    this.#hash?.update(chunk);
  }

  finish(): void {
    if (this.#hash !== undefined) this.#body = this.#hash.digest('hex');
    this.#hash = undefined;
  }

  get bodyHash(): string | undefined {
    return this.#body;
  }
}

export interface Mismatch {
  readonly at: string;
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly status: { readonly primary: number; readonly shadow: number };
  readonly headers: Readonly<Record<string, { readonly primary: string | undefined; readonly shadow: string | undefined }>>;
  readonly bodyDiffers: boolean;
}

/** The differences between two finished digests, or undefined when they match. */
export function differences(primary: ResponseDigest, shadow: ResponseDigest, names: readonly string[]) {
  const headers: Record<string, { primary: string | undefined; shadow: string | undefined }> = {};
  let differs = primary.status !== shadow.status;
  for (const n of names) {
    if (primary.headers[n] !== shadow.headers[n]) {
      headers[n] = { primary: primary.headers[n], shadow: shadow.headers[n] };
      differs = true;
    }
  }
  const bodyDiffers = primary.bodyHash !== shadow.bodyHash;
  if (!differs && !bodyDiffers) return undefined;
  return { status: { primary: primary.status, shadow: shadow.status }, headers, bodyDiffers };
}
