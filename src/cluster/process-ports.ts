import type { Worker } from 'node:cluster';
import type { IpcPort } from './ipc-channel.js';

/** The IPC pipe to the primary, seen from a worker (a send after the primary is gone is dropped). */
export function primaryPort(): IpcPort {
  return {
    send: (m) => {
      if (process.connected && process.send) process.send(m as never, undefined, {}, () => undefined);
    },
    onMessage: (listener) => {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  };
}

/** The IPC pipe to one worker, seen from the primary. */
export function workerPort(worker: Worker): IpcPort {
  return {
    send: (m) => {
      if (worker.isConnected()) worker.send(m as never, undefined, () => undefined);
    },
    onMessage: (listener) => {
      worker.on('message', listener);
      return () => worker.off('message', listener);
    },
  };
}
