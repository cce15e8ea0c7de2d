// strip-prefix: removes a path prefix before the request goes upstream (/api/v1/users -> /users).
// config: { "prefix": "/api/v1" }   A path without the prefix passes unchanged.

/** @type {import('junction/filter').FilterModule<{ prefix: string }>} */
export default {
  type: 'strip-prefix',
  schema: {
    type: 'object',
    properties: { prefix: { type: 'string', pattern: '^/', minLength: 1, maxLength: 2048 } },
    required: ['prefix'],
    additionalProperties: false,
  },
  create(config) {
    const prefix = config.prefix.endsWith('/') && config.prefix.length > 1 ? config.prefix.slice(0, -1) : config.prefix;
    return {
      onRequest(ex) {
        const p = ex.path;
        if (p === prefix) ex.path = '/';
        else if (p.startsWith(prefix) && p.charCodeAt(prefix.length) === 47 /* / */) ex.path = p.slice(prefix.length);
      },
    };
  },
};
