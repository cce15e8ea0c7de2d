// rewrite-path: rewrites the path with a regular expression (JavaScript RegExp, $1-style groups).
// config: { "pattern": "^/old/(.*)$", "replacement": "/new/$1" }   Non-matching paths pass unchanged.

/** @type {import('junction/filter').FilterModule<{ pattern: string, replacement: string }>} */
export default {
  type: 'rewrite-path',
  schema: {
    type: 'object',
    properties: {
      pattern: { type: 'string', minLength: 1, maxLength: 2048 },
      replacement: { type: 'string', maxLength: 2048 },
    },
    required: ['pattern', 'replacement'],
    additionalProperties: false,
  },
  create(config) {
    const re = new RegExp(config.pattern); // a bad pattern makes create() throw: the route fails closed
    return {
      onRequest(ex) {
        if (!re.test(ex.path)) return;
        let next = ex.path.replace(re, config.replacement);
        if (!next.startsWith('/')) next = '/' + next;
        ex.path = next;
      },
    };
  },
};
