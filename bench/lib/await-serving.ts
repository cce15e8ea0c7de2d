import { getOnce } from './http-get.js';
import type { Managed, ProcessGroup } from './process-group.js';
import { pollUntil } from './time.js';

/** The status of one `GET <url>/` on a fresh connection (0: refused or failed). */
export type ServingProbe = (url: string) => Promise<number>;

const plainProbe: ServingProbe = async (url) => (await getOnce(`${url}/`)).status;

/**
 * Waits (10 s at most) until a proxy just spawned answers `GET <url>/` with 200 (by `probe`: plain
 * HTTP unless told); if it exits or never does, stops it and throws with what it printed.
 */
export async function awaitServing(group: ProcessGroup, managed: Managed, label: string, url: string, what: string, probe: ServingProbe = plainProbe): Promise<void> {
  try {
    await pollUntil(
      label,
      async () => {
        if (!managed.running()) throw new Error(`${what} exited:\n${managed.output()}`);
        return (await probe(url)) === 200 ? true : undefined;
      },
      10_000,
      50,
    );
  } catch (err) {
    await group.stop(managed, 2000);
    throw err;
  }
}
