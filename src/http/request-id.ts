import { randomUUID } from 'node:crypto';

const MAX_ID_LENGTH = 200;

/** Keeps a client's `x-request-id` when it is sane (printable ASCII, ≤ 200 chars), else makes one. */
export function requestIdOf(header: string | string[] | undefined): string {
  if (typeof header === 'string' && header.length > 0 && header.length <= MAX_ID_LENGTH && /^[\x21-\x7e]+$/.test(header)) {
    return header;
  }
  return randomUUID();
}
