import { Agent } from 'node:https';
import acme from 'acme-client';

/** How this process talks to the ACME server (`--acme-directory`, `--acme-email`, `--acme-ca-file`). */
export interface AcmeServerOptions {
  readonly directoryUrl: string;
  /** the account's contact, `mailto:` added; none when undefined */
  readonly email?: string | undefined;
  /** PEM of the CA(s) to trust for the ACME server's own TLS (a private ACME server); default: the system's */
  readonly ca?: string | undefined;
}

/** The account every driving instance signs with (`P/acme-state/account`). */
export interface AcmeAccount {
  readonly directory: string;
  /** PEM, ECDSA P-256 */
  readonly key: string;
  /** the account URL the server gave, once known */
  readonly url: string | undefined;
}

/** Where the key authorizations of HTTP-01 challenges go while the ACME server checks them. */
export interface ChallengeHooks {
  put(token: string, keyAuthorization: string): Promise<void>;
  remove(token: string): Promise<void>;
}

export interface Issued {
  /** the leaf, then its chain (PEM) */
  readonly cert: string;
  /** the leaf's new private key (PEM, ECDSA P-256) */
  readonly key: string;
  readonly accountUrl: string;
}

/**
 * Speaks ACME (RFC 8555) through `acme-client`: a new ECDSA P-256 key and CSR per order, HTTP-01
 * challenges only, the account created on first use (or found again by its key). acme-client sends
 * its requests through one axios instance per process; `configure()` sets that instance's timeout
 * and the CA a private ACME server needs — one ACME directory per process, so one setting.
 */
export class AcmeIssuer {
  constructor(private readonly opts: AcmeServerOptions) {
    acme.axios.defaults.timeout = 30_000;
    if (opts.ca !== undefined) acme.axios.defaults.httpsAgent = new Agent({ ca: opts.ca, keepAlive: true });
  }

  get directoryUrl(): string {
    return this.opts.directoryUrl;
  }

  /** A new account key for this directory. */
  async newAccount(): Promise<AcmeAccount> {
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    return { directory: this.opts.directoryUrl, key: key.toString(), url: undefined };
  }

  /** One order for `domains`, through to the certificate. Throws with the ACME server's reason. */
  async issue(account: AcmeAccount, domains: readonly string[], hooks: ChallengeHooks): Promise<Issued> {
    const client = new acme.Client({
      directoryUrl: this.opts.directoryUrl,
      accountKey: account.key,
      ...(account.url === undefined ? {} : { accountUrl: account.url }),
      // waiting for an order or authorization to turn valid: 1 s, then up to 10 s apart, 8 times
      backoffAttempts: 8,
      backoffMin: 1000,
      backoffMax: 10_000,
    });
    const [key, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: [...domains] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
    const cert = await client.auto({
      csr,
      ...(this.opts.email === undefined ? {} : { email: this.opts.email }),
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client would first fetch the token itself, through this machine's DNS and network,
      // which need not reach the name (a private network, a load balancer in front): the ACME
      // server's own check is the one that counts
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`challenge type ${challenge.type} is not supported (only http-01)`);
        await hooks.put(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        if (challenge.type === 'http-01') await hooks.remove(challenge.token);
      },
    });
    return { cert, key: key.toString(), accountUrl: client.getAccountUrl() };
  }
}
