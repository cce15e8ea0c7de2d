// rate-limit: a token bucket per client key; over the limit, 429 with Retry-After.
// config: { "rps": 10, "burst": 20, "key": "ip" }   key: "ip" or "header:NAME" (a request without
// the header shares one bucket, keyed ""). At most `maxKeys` buckets (default 100,000) are kept;
// the least recently used go first.

/** @type {import('junction/filter').FilterModule<{ rps: number, burst?: number, key?: string, maxKeys?: number }>} */
export default {
  type: 'rate-limit',
  schema: {
    type: 'object',
    properties: {
      rps: { type: 'number', exclusiveMinimum: 0 },
      burst: { type: 'integer', minimum: 1 },
      key: { type: 'string', pattern: '^(ip|header:[!#$%&\'*+.^_`|~0-9A-Za-z-]+)$' },
      maxKeys: { type: 'integer', minimum: 1, maximum: 10000000 },
    },
    required: ['rps'],
    additionalProperties: false,
  },
  create(config, ctx) {
    const rate = config.rps;
    const burst = config.burst ?? Math.max(1, Math.ceil(rate));
    const header = config.key?.startsWith('header:') ? config.key.slice(7).toLowerCase() : undefined;
    const maxKeys = config.maxKeys ?? 100_000;
    /** @type {Map<string, { tokens: number, at: number }>} */
    const buckets = new Map();
    return {
      onRequest(ex) {
        let key = ex.clientIp;
        if (header !== undefined) {
          const v = ex.headers[header];
          key = Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
        }
        const now = ctx.now();
        let b = buckets.get(key);
        if (b === undefined) {
          b = { tokens: burst, at: now };
          const oldest = buckets.size >= maxKeys ? buckets.keys().next().value : undefined;
          if (oldest !== undefined) buckets.delete(oldest);
        } else {
          buckets.delete(key); // re-insert: Map order is recency
          b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
          b.at = now;
        }
        buckets.set(key, b);
        if (b.tokens >= 1) {
          b.tokens -= 1;
          return;
        }
        const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / rate));
        return {
          status: 429,
          headers: { 'retry-after': String(retryAfter) },
          body: { error: 'rate_limited', message: `over ${rate} requests per second; retry in ${retryAfter} s` },
        };
      },
      close() {
        buckets.clear();
      },
    };
  },
};
