import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** file descriptor (1 = stdout) or a path; default stdout */
  readonly destination?: number | string;
  /** synchronous writes (tests); default asynchronous, flushed at least once a second and on exit */
  readonly sync?: boolean;
  /**
   * largest single write, bytes (default SonicBoom's 16 KiB). Worker processes sharing one stdout
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
  close(): void;
}

/**
 * The process logger: JSON lines (pino) into one buffered, asynchronous destination (SonicBoom),
 * so logging never blocks traffic. Buffered lines are written when 8 KiB gather, at least once a
 * second, and on flush.
 */
export function createLogger(opts: LoggerOptions = {}): ProcessLog {
  const sync = opts.sync ?? false;
  // SonicBoom requires minLength < maxWrite
  const minLength = sync ? 0 : opts.maxWrite ? Math.floor(opts.maxWrite / 2) : 8_192;
  const destination = pino.destination({ dest: opts.destination ?? 1, sync, minLength, ...(opts.maxWrite ? { maxWrite: opts.maxWrite } : {}) });
  const logger = pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const timer = sync ? undefined : setInterval(() => destination.flush(), 1000);
  timer?.unref();
  return {
    logger,
    sink: destination,
    flush: () => {
      try {
        destination.flushSync();
      } catch {
        // nothing buffered, or the fd is gone
      }
    },
    close: () => {
      if (timer) clearInterval(timer);
    },
  };
}
