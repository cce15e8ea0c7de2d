import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The shadow's copy of a request body. It listens to the same `data` events undici consumes for
 * the primary (undici pauses and resumes the request for its own backpressure; the copy never
 * does), and buffers for the shadow at most `maxBytes`: the primary's flow control is never tied to
 * the shadow's. A body that turns out larger than `maxBytes` aborts the copy (`onOversize`).
 */
export function teeBody(req: IncomingMessage, maxBytes: number, onOversize: () => void): Readable {
  let total = 0;
  const copy = new Readable({ read() {}, highWaterMark: maxBytes + 1 });
  // Pausing first keeps the request from flowing before undici attaches its own listener (it
  // resumes the request when it starts writing the primary's body).
  req.pause();
  const onData = (chunk: Buffer) => {
    total += chunk.length;
    if (total > maxBytes) {
      cleanup();
      copy.destroy(new Error('body larger than maxBodyBytes'));
      onOversize();
      return;
    }
    copy.push(chunk);
  };
  const onEnd = () => {
    cleanup();
    copy.push(null);
  };
  const onAbort = () => {
    cleanup();
    copy.destroy(new Error('client request aborted'));
  };
  const cleanup = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('close', onClose);
  };
  const onClose = () => {
    if (!req.complete) onAbort();
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('close', onClose);
  copy.on('error', () => undefined);
  return copy;
}
