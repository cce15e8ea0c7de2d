import { Pool } from 'undici';

export interface Reply {
  readonly status: number;
  readonly body: string;
}

/** A keep-alive client for polling one origin (admin API or proxy) tightly. */
export class Poller {
  readonly #pool: Pool;

  constructor(origin: string, connections = 1) {
    this.#pool = new Pool(origin, { connections, headersTimeout: 5000, bodyTimeout: 5000, connectTimeout: 2000 });
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await this.#pool.request({ method: 'GET', path, headers });
    const body = await res.body.text();
    return { status: res.statusCode, body };
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}

/** One GET on a fresh connection; a refused connection becomes status 0. */
export async function getOnce(url: string): Promise<Reply> {
  const u = new URL(url);
  const p = new Poller(u.origin);
  try {
    return await p.get(u.pathname + u.search);
  } catch {
    return { status: 0, body: '' };
  } finally {
    await p.close();
  }
}
