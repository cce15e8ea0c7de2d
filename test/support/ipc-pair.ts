import type { IpcPort } from '../../src/cluster/ipc-channel.js';

/**
 * Two connected IPC ends in one process. Every message is JSON-encoded and delivered on a later
 * turn of the event loop, in order — what node's cluster IPC does between two processes.
 */
export function ipcPair(): [IpcPort, IpcPort] {
  const listeners: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const end = (mine: 0 | 1): IpcPort => ({
    send: (m) => {
      const wire = JSON.stringify(m);
      setImmediate(() => {
        for (const l of listeners[mine === 0 ? 1 : 0]) l(JSON.parse(wire));
      });
    },
    onMessage: (l) => {
      listeners[mine].add(l);
      return () => listeners[mine].delete(l);
    },
  });
  return [end(0), end(1)];
}
