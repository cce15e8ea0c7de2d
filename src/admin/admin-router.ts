import type { IncomingMessage, ServerResponse } from 'node:http';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>, url: URL) => void | Promise<void>;

interface Entry {
  readonly method: string;
  readonly parts: readonly string[];
  readonly handler: AdminHandler;
}

/** A small method + path router (`/api/v1/routes/:id`) for the admin listener. */
export class AdminRouter {
  readonly #entries: Entry[] = [];

  on(method: string, pattern: string, handler: AdminHandler): this {
    this.#entries.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  /** The handler for a request, or why there is none (`not_found`, or the allowed methods). */
  find(method: string, pathname: string): { handler: AdminHandler; params: Record<string, string> } | { allowed: string[] } | undefined {
    const segs = pathname.split('/').filter(Boolean);
    const allowed: string[] = [];
    for (const e of this.#entries) {
      const params = matchParts(e.parts, segs);
      if (params === undefined) continue;
      if (e.method === method || (method === 'HEAD' && e.method === 'GET')) return { handler: e.handler, params };
      allowed.push(e.method);
    }
    return allowed.length > 0 ? { allowed } : undefined;
  }
}

function matchParts(parts: readonly string[], segs: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    const s = segs[i] as string;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) return undefined;
  }
  return params;
}
