import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  /** file descriptor (1 = stdout) or a path; default stdout */
  readonly destination?: number | string;
  /** synchronous writes (tests); default asynchronous, flushed on exit */
  readonly sync?: boolean;
}

/** The process logger: JSON lines (pino), asynchronous by default so logging never blocks traffic. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const destination = pino.destination({ dest: opts.destination ?? 1, sync: opts.sync ?? false, minLength: opts.sync ? 0 : 4096 });
  return pino(
    {
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
