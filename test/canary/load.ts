import { Agent, request } from 'undici';

export interface Answer {
  readonly status: number;
  readonly upstream: string;
  readonly setCookie: string | undefined;
}

/**
 * Sends `count` GETs with `concurrency` in flight over a keep-alive agent, `headersFor(i)` giving
 * each request's headers; returns the answers in request order. Bounded: every request has a
 * 10 s timeout.
 */
export async function burst(
  url: string,
  count: number,
  headersFor: (i: number) => Record<string, string> = () => ({}),
  concurrency = 16,
): Promise<Answer[]> {
  const agent = new Agent({ connections: concurrency, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const out: Answer[] = new Array(count);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < count; i = next++) {
          const r = await request(url, { dispatcher: agent, headers: headersFor(i) });
          const text = await r.body.text();
          const cookie = r.headers['set-cookie'];
          out[i] = { status: r.statusCode, upstream: text, setCookie: Array.isArray(cookie) ? cookie[0] : cookie };
        }
      }),
    );
  } finally {
    await agent.close();
  }
  return out;
}

export function tally(answers: readonly Answer[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const a of answers) t[a.upstream] = (t[a.upstream] ?? 0) + 1;
  return t;
}
