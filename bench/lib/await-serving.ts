import { getOnce } from './http-get.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { pollUntil } from './time.js';

/**
 * Waits (10 s at most) until a proxy just spawned answers `GET <url>/` with 200; if it exits or
 * never does, stops it and throws with what it printed.
 */
export async function awaitServing(group: ProcessGroup, managed: Managed, label: string, url: string, what: string): Promise<void> {
  try {
    await pollUntil(
      label,
      async () => {
        if (!managed.running()) throw new Error(`${what} exited:\n${managed.output()}`);
        return (await getOnce(`${url}/`)).status === 200 ? true : undefined;
      },
      10_000,
      50,
    );
  } catch (err) {
    await group.stop(managed, 2000);
    throw err;
  }
}
