// https-redirect: answers a request that did not come over TLS with a redirect to the same URL on
// https:// — except ACME HTTP-01 challenges (/.well-known/acme-challenge/), which must stay on
// plain HTTP. Behind a trusted proxy, its X-Forwarded-Proto says whether the client used TLS.
// config: { "status": 308, "port": 443 }   status: 301, 302, 303, 307 or 308 (default 308, which
// keeps the method and body); port: the TLS port clients should use (default 443, left out of the
// URL).

const CHALLENGE = '/.well-known/acme-challenge/';

/**
 * `Host` without its port (a bracketed IPv6 literal keeps its brackets).
 * @param {string} host
 */
function hostname(host) {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** @type {import('junction/filter').FilterModule<{ status?: 301 | 302 | 303 | 307 | 308, port?: number }>} */
export default {
  type: 'https-redirect',
  schema: {
    type: 'object',
    properties: {
      status: { enum: [301, 302, 303, 307, 308] },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
    },
    additionalProperties: false,
  },
  create(config) {
    const status = config.status ?? 308;
    const port = config.port ?? 443;
    const suffix = port === 443 ? '' : `:${port}`;
    return {
      onRequest(ex) {
        if (ex.scheme === 'https' || ex.path.startsWith(CHALLENGE)) return undefined;
        const host = ex.headers.host;
        if (typeof host !== 'string' || host === '') return undefined; // nowhere to send it: serve it
        return {
          status,
          headers: { location: `https://${hostname(host)}${suffix}${ex.path}${ex.query}`, 'cache-control': 'no-store' },
          body: '',
        };
      },
    };
  },
};
