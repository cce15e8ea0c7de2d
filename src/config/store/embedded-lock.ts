import { hostname } from 'node:os';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { StoreIoError, StoreLockedError } from './errors.js';

/**
 * The embedded store's lock file: `<dataDir>/store.lock`, created exclusively (O_EXCL) and holding
 * `{"pid","host","createdAt"}`. A lock whose process is gone (same host, pid not running) is stale
 * and taken over; a lock from another host is never taken over automatically.
 */
export const LOCK_FILE = 'store.lock';

interface LockContent {
  pid?: unknown;
  host?: unknown;
}

export interface HeldLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function acquireLock(path: string): Promise<HeldLock> {
  const content = JSON.stringify({ pid: process.pid, host: hostname(), createdAt: new Date().toISOString() }) + '\n';
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(path, content)) return heldLock(path);
    const holder = await readLock(path);
    if (holder === 'missing') continue; // released meanwhile: try again
    if (!isStale(holder)) throw new StoreLockedError(path, typeof holder.pid === 'number' ? holder.pid : undefined);
    await takeOverStale(path);
  }
  throw new StoreLockedError(path, undefined, `could not acquire the embedded store lock ${path}: it keeps changing hands`);
}

function heldLock(path: string): HeldLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      await rm(path, { force: true });
    },
  };
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StoreIoError(`cannot create lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

async function readLock(path: string): Promise<LockContent | 'missing'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new StoreIoError(`cannot read lock file ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as LockContent) : {};
  } catch {
    // a lock written by a process that died between create and write: empty or partial
    return {};
  }
}

function isStale(holder: LockContent): boolean {
  const { pid, host } = holder;
  if (pid === undefined && host === undefined) return true; // unreadable content: its writer died mid-write
  if (typeof host === 'string' && host !== hostname()) return false;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return true;
  return !processAlive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale lock aside under a unique name, then re-checks what was moved: if another
 * process had meanwhile taken the lock (its pid is alive), the file is linked back (link never
 * overwrites) and the caller sees it as locked on its next try.
 */
async function takeOverStale(path: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreIoError(`cannot take over stale lock ${path}: ${(err as Error).message}`, { cause: err });
  }
  const moved = await readLock(aside);
  if (moved !== 'missing' && !isStale(moved)) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}
