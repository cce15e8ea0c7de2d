import type { IncomingMessage } from 'node:http';
import { jsonSyntaxReason } from '../../config/decode/ajv-errors.js';
import { invalidDocument } from './api-error.js';
import { HttpError } from '../../errors/junction-error.js';
import { jsonBodyRefusal } from '../cross-site.js';

/** etcd refuses requests above 1.5 MiB; a document is far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON request body (at most `limit` bytes). Not JSON: 400 `invalid_document` with the
 * error on `(document)`; too large: 413 `body_too_large`; a body not declared `application/json`:
 * 415 (the admin listener refuses those before any handler; checked here again so no handler can
 * read one).
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const badType = jsonBodyRefusal(req);
  if (badType) {
    req.resume();
    throw badType;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError('body_too_large', `the body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new HttpError('body_too_large', `the body is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw invalidDocument([{ field: '(document)', message: 'is empty: send a JSON document' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidDocument([{ field: '(document)', message: `is not valid JSON: ${jsonSyntaxReason(err)}` }]);
  }
}
