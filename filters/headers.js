// headers: edits request headers (before the upstream) and response headers (before the client).
// config: { "request":  { "set": {"x-env": "prod"}, "add": {"x-tag": "a"}, "remove": ["x-debug"] },
//           "response": { "set": {"cache-control": "no-store"}, "remove": ["server"] } }
// set replaces, add appends another value, remove deletes; applied in the order remove, set, add.

const edits = {
  type: 'object',
  properties: {
    set: { type: 'object', additionalProperties: { type: 'string' } },
    add: { type: 'object', additionalProperties: { type: 'string' } },
    remove: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: false,
};

/**
 * @typedef {object} Edits one side's edits, as configured
 * @property {Record<string, string>} [set]
 * @property {Record<string, string>} [add]
 * @property {string[]} [remove]
 */

/**
 * @typedef {object} PreparedEdits the same, names lower-cased
 * @property {string[]} remove
 * @property {Array<[string, string]>} set
 * @property {Array<[string, string]>} add
 */

/**
 * @param {Record<string, import('junction/filter').HeaderValue>} headers
 * @param {PreparedEdits} e
 */
function apply(headers, e) {
  if (!e) return;
  for (const name of e.remove ?? []) delete headers[name];
  for (const [name, value] of e.set ?? []) headers[name] = value;
  for (const [name, value] of e.add ?? []) {
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
}

/**
 * lower-cases names once, at create time
 * @param {Edits | undefined} e
 * @returns {PreparedEdits | undefined}
 */
function prepare(e) {
  if (!e) return undefined;
  return {
    remove: (e.remove ?? []).map((n) => n.toLowerCase()),
    set: Object.entries(e.set ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    add: Object.entries(e.add ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  };
}

/** @type {import('junction/filter').FilterModule<{ request?: Edits, response?: Edits }>} */
export default {
  type: 'headers',
  schema: { type: 'object', properties: { request: edits, response: edits }, additionalProperties: false },
  create(config) {
    const request = prepare(config.request);
    const response = prepare(config.response);
    return {
      ...(request ? { onRequest: (ex) => void apply(ex.headers, request) } : {}),
      ...(response ? { onResponse: (_ex, res) => void apply(res.headers, response) } : {}),
    };
  },
};
