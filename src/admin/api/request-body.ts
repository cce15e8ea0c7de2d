import type { IncomingMessage } from 'node:http';
import { invalidDocument } from './api-error.js';
import { HttpError } from '../../errors/junction-error.js';

/** etcd refuses requests above 1.5 MiB; a document is far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON request body (at most `limit` bytes). Not JSON: 400 `invalid_document` with the
 * error on `(document)`; too large: 413 `body_too_large`; a content type that cannot be JSON
 * (multipart, XML...): 415.
 */
export async function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const type = req.headers['content-type'];
  // JSON, or what `curl -d` sends by default (form-urlencoded) and text/plain: the body is parsed as JSON either way
  if (type !== undefined && !/^(application\/([a-z0-9.+-]*\+)?json|application\/x-www-form-urlencoded|text\/plain)\b/i.test(type)) {
    req.resume();
    throw new HttpError('unsupported_media_type', `send the document as application/json, not ${type}`);
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
    throw invalidDocument([{ field: '(document)', message: `is not valid JSON: ${(err as Error).message}` }]);
  }
}
