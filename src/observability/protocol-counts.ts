import { Counter, type Registry } from 'prom-client';

/**
 * `junction_http_requests_by_protocol_total{protocol}`: two plain numbers bumped per request and
 * handed to prom-client only when /metrics is scraped (a labelled `inc` per request would cost
 * more than everything else this counts).
 */
export class ProtocolCounts {
  #h1 = 0;
  #h2 = 0;

  constructor(registry: Registry) {
    const counts = this;
    new Counter({
      name: 'junction_http_requests_by_protocol_total',
      help: 'Requests received, by protocol (http/1.1, h2)',
      labelNames: ['protocol'],
      registers: [registry],
      collect() {
        this.reset();
        this.labels('http/1.1').inc(counts.#h1);
        this.labels('h2').inc(counts.#h2);
      },
    });
  }

  count(protocol: 'http/1.1' | 'h2'): void {
    if (protocol === 'h2') this.#h2++;
    else this.#h1++;
  }
}
