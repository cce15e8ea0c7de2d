/**
 * Where ACME keeps its state in the store (SPEC §2, §8). Everything but the certificates themselves
 * sits in Junction's own folders (`locks/`, `acme-state/`), which are never configuration.
 */
export class AcmeKeys {
  constructor(readonly prefix: string) {}

  /** the fleet lock: whoever holds it orders and renews */
  get lock(): string {
    return `${this.prefix}/locks/acme`;
  }

  /** `{ directory, email, key, url }`: the ACME account, shared by every instance that may drive */
  get account(): string {
    return `${this.prefix}/acme-state/account`;
  }

  /** where the key authorization of an HTTP-01 token waits for the ACME server to fetch it */
  get challenges(): string {
    return `${this.prefix}/acme-state/challenges/`;
  }

  challenge(token: string): string {
    return `${this.challenges}${token}`;
  }

  /** the OrderState of `P/acme/<id>`: last attempt, failures, back-off */
  order(id: string): string {
    return `${this.prefix}/acme-state/orders/${id}`;
  }

  cert(certId: string): string {
    return `${this.prefix}/certs/${certId}`;
  }
}
