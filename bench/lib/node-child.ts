import type { BenchPaths } from './bench-paths.js';
import { waitForMessage, type ReadyMessage } from './child-ipc.js';
import type { Managed, ProcessGroup } from './process-group.js';

export interface NodeChild {
  readonly managed: Managed;
  readonly port: number;
  readonly url: string;
}

/** Starts one of the bench's own Node scripts (dist/bench/<rel>) and waits for its 'ready' message. */
export async function startNodeChild(
  group: ProcessGroup,
  paths: BenchPaths,
  name: string,
  rel: string,
  args: readonly string[],
  core: number | undefined,
  nodeFlags: readonly string[] = [],
): Promise<NodeChild> {
  const managed = group.spawn(name, process.execPath, [...nodeFlags, paths.script(rel), ...args], {
    core,
    ipc: true,
    stdout: 'capture',
    stderr: 'capture',
  });
  try {
    const ready = await waitForMessage<ReadyMessage>(managed, 'ready', 10_000);
    return { managed, port: ready.port, url: `http://127.0.0.1:${ready.port}` };
  } catch (err) {
    await group.stop(managed, 1000);
    throw err;
  }
}

/** The upstream every scenario proxies to: a node:http server with a small fixed body, on the load core. */
export function startUpstream(group: ProcessGroup, paths: BenchPaths, body?: string, name = 'upstream'): Promise<NodeChild> {
  return startNodeChild(group, paths, name, 'lib/upstream-server.js', body === undefined ? [] : ['--body', body], group.pinning.loadCore);
}
