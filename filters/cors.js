// cors: answers CORS preflights locally and adds CORS headers to responses for allowed origins.
// config: { "allowOrigins": ["https://app.example.com"] (or ["*"]), "allowMethods": ["GET","POST"],
//           "allowHeaders": ["content-type"], "exposeHeaders": [], "allowCredentials": false, "maxAgeSeconds": 600 }
// A request from an origin not allowed gets no CORS headers (the browser then blocks it); its
// preflight is answered 403.

const strings = { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 256 };

/**
 * @typedef {object} CorsConfig
 * @property {string[]} allowOrigins
 * @property {string[]} [allowMethods]
 * @property {string[]} [allowHeaders]
 * @property {string[]} [exposeHeaders]
 * @property {boolean} [allowCredentials]
 * @property {number} [maxAgeSeconds]
 */

/** @type {import('junction/filter').FilterModule<CorsConfig>} */
export default {
  type: 'cors',
  schema: {
    type: 'object',
    properties: {
      allowOrigins: strings,
      allowMethods: strings,
      allowHeaders: strings,
      exposeHeaders: strings,
      allowCredentials: { type: 'boolean' },
      maxAgeSeconds: { type: 'integer', minimum: 0, maximum: 86400 },
    },
    required: ['allowOrigins'],
    additionalProperties: false,
  },
  create(config) {
    const any = config.allowOrigins.includes('*');
    if (any && config.allowCredentials) throw new Error('allowCredentials cannot be used with allowOrigins ["*"]');
    const origins = new Set(config.allowOrigins);
    const methods = (config.allowMethods ?? ['GET', 'HEAD', 'POST']).join(', ');
    const allowHeaders = config.allowHeaders?.join(', ');
    const expose = config.exposeHeaders?.length ? config.exposeHeaders.join(', ') : undefined;
    const maxAge = String(config.maxAgeSeconds ?? 600);
    /** @param {import('junction/filter').HeaderValue} origin */
    const allowedOrigin = (origin) => (typeof origin !== 'string' ? undefined : any ? (config.allowCredentials ? origin : '*') : origins.has(origin) ? origin : undefined);
    return {
      onRequest(ex) {
        const origin = ex.headers.origin;
        const requested = ex.headers['access-control-request-method'];
        if (ex.method !== 'OPTIONS' || requested === undefined || origin === undefined) return;
        const allowed = allowedOrigin(origin);
        if (allowed === undefined) return { status: 403, body: { error: 'cors_forbidden', message: 'origin not allowed' } };
        /** @type {Record<string, string>} */
        const headers = {
          'access-control-allow-origin': allowed,
          'access-control-allow-methods': methods,
          'access-control-allow-headers': allowHeaders ?? String(ex.headers['access-control-request-headers'] ?? ''),
          'access-control-max-age': maxAge,
          vary: 'Origin',
        };
        if (config.allowCredentials) headers['access-control-allow-credentials'] = 'true';
        return { status: 204, headers };
      },
      onResponse(ex, res) {
        const allowed = allowedOrigin(ex.headers.origin);
        if (allowed === undefined || res.headers['access-control-allow-origin'] !== undefined) return;
        res.headers['access-control-allow-origin'] = allowed;
        if (allowed !== '*') res.headers.vary = res.headers.vary ? `${res.headers.vary}, Origin` : 'Origin';
        if (config.allowCredentials) res.headers['access-control-allow-credentials'] = 'true';
        if (expose) res.headers['access-control-expose-headers'] = expose;
      },
    };
  },
};
