/**
 * Child process: the plainest idiomatic fastify forwarder — one catch-all route doing
 * `reply.from(target + req.url)` with @fastify/reply-from's defaults (its undici client,
 * keep-alive pool), fastify's logger off. No routing, metrics or logs of its own.
 * Args: --target URL
 */
import replyFrom from '@fastify/reply-from';
import fastify from 'fastify';
import { argValue, exitWithParent, reportReady } from '../lib/child-ipc.js';

async function main(argv: readonly string[]): Promise<void> {
  const target = argValue(argv, 'target').replace(/\/$/, '');
  const app = fastify({ logger: false, keepAliveTimeout: 65_000 });
  await app.register(replyFrom);
  app.all('/*', (req, reply) => reply.from(`${target}${req.url}`));
  await app.listen({ host: '127.0.0.1', port: 0 });
  exitWithParent(() => app.server.closeAllConnections());
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fastify: no TCP address');
  reportReady(address.port);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`reply-from-forwarder: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
