import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigSnapshot } from '../../config/snapshot.js';
import type { ConfigStore } from '../../config/store/types.js';
import type { AdminHandler } from '../admin-router.js';
import { sendError } from '../../errors/error-response.js';
import { HttpError } from '../../errors/junction-error.js';
import { fromStoreError } from './api-error.js';
import type { CommitDeps } from './commit.js';

/** What the REST handlers share. */
export interface ApiContext extends CommitDeps {
  readonly store: ConfigStore;
  readonly prefix: string;
  readonly snapshot: () => ConfigSnapshot | undefined;
}

type ApiHandler = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>, url: URL) => Promise<void>;

/** Answers HttpErrors (and store failures) as JSON error bodies; anything else is the server's 500. */
export function apiHandler(fn: ApiHandler): AdminHandler {
  return async (req, res, params, url) => {
    try {
      await fn(req, res, params, url);
    } catch (err) {
      const apiErr = err instanceof HttpError ? err : fromStoreError(err);
      if (apiErr === undefined) throw err;
      if (!res.headersSent) sendError(res, apiErr);
      else res.destroy();
    }
  };
}

/** `?dryRun=1` (also `true`, or present without a value). */
export function flag(url: URL, name: string): boolean {
  const v = url.searchParams.get(name);
  return v !== null && !/^(0|false|no|off)$/i.test(v);
}
