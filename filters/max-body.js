// max-body: caps the request body. A Content-Length over the cap is answered 413 before anything
// is read; a body without Content-Length is cut off (and answered 413) as soon as it streams past
// the cap — Junction never reads past the limit.
// config: { "bytes": 1048576 }

/** @type {import('junction/filter').FilterModule<{ bytes: number }>} */
export default {
  type: 'max-body',
  schema: {
    type: 'object',
    properties: { bytes: { type: 'integer', minimum: 0 } },
    required: ['bytes'],
    additionalProperties: false,
  },
  create(config) {
    const tooLarge = {
      status: 413,
      headers: { connection: 'close' },
      body: { error: 'body_too_large', message: `the request body is larger than ${config.bytes} bytes` },
    };
    return {
      onRequest(ex) {
        if (ex.contentLength !== undefined) return ex.contentLength > config.bytes ? tooLarge : undefined;
        ex.limitBody(config.bytes);
      },
    };
  },
};
