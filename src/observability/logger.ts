import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';
import { LineBatcher } from './line-batcher.js';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** file descriptor (1 = stdout) or a path; default stdout */
  readonly destination?: number | string;
  /** synchronous writes (tests); default asynchronous: lines leave in batches, within 100 ms or per `maxWrite` bytes, and on flush */
  readonly sync?: boolean;
  /**
   * largest single write, bytes (default 16 KiB). Worker processes sharing one stdout
   * pipe use 4096 (PIPE_BUF): a write of whole lines up to that size is atomic, so lines of two
   * workers never interleave.
   */
  readonly maxWrite?: number;
}

export interface ProcessLog {
  readonly logger: Logger;
  /** the buffered destination, shared with the access log so lines never interleave */
  readonly sink: { write(line: string): unknown };
  /** writes out what is buffered (call before exit) */
  flush(): void;
}

/**
 * The process logger: JSON lines (pino) and the access log, batched by {@link LineBatcher} into one
 * asynchronous destination (SonicBoom, which retries short and EAGAIN writes), so logging never
 * blocks traffic and lines never interleave.
 */
export function createLogger(opts: LoggerOptions = {}): ProcessLog {
  const sync = opts.sync ?? false;
  const maxWrite = opts.maxWrite ?? 16_384;
  const destination = pino.destination({ dest: opts.destination ?? 1, sync, minLength: 0, maxWrite });
  const sink = sync ? destination : new LineBatcher(destination, maxWrite, 100);
  const logger = pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink as unknown as DestinationStream,
  );
  return {
    logger,
    sink,
    flush: () => {
      if (sink instanceof LineBatcher) sink.flush();
      try {
        destination.flushSync();
      } catch {
        // nothing buffered, or the fd is gone
      }
    },
  };
}
