/**
 * The bad-input probe's Junction configuration, put through the admin API (as an operator would):
 * backend `up` (the recording upstream, short timeouts so the timeout cases end fast), a catch-all
 * route, `/re/(a+)+` at a higher priority tagged `X-Probe-Route: re`, `/admin/` behind an
 * `ip-filter` denying loopback, and `/private/` behind `basic-auth` (alice / s3cret).
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { pollUntil } from './time.js';

export const PROBE_TIMEOUT_MS = 2000;

/** basic-auth's `scrypt:<salt>:<hash>` form (its N, r, p and key length). */
function scryptEntry(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt:${salt.toString('base64')}:${hash.toString('base64')}`;
}

interface PutResult {
  readonly status: number;
  readonly body: string;
}

async function put(adminUrl: string, path: string, doc: unknown): Promise<PutResult> {
  const r = await fetch(`${adminUrl}/api/v1/${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(doc),
    signal: AbortSignal.timeout(5000),
  });
  return { status: r.status, body: await r.text() };
}

async function putOk(adminUrl: string, path: string, doc: unknown): Promise<number> {
  const r = await put(adminUrl, path, doc);
  if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${path} answered ${r.status}: ${r.body}`);
  return (JSON.parse(r.body) as { revision: number }).revision;
}

export interface JunctionProbeSetup {
  /** the backend's `timeouts` as applied */
  readonly timeouts: Readonly<Record<string, number>>;
  /** e.g. that this build has no `bodyMs` */
  readonly notes: readonly string[];
}

/** Writes the probe's configuration and waits until Junction serves it. */
export async function configureJunctionProbe(adminUrl: string, upstream: string): Promise<JunctionProbeSetup> {
  const notes: string[] = [];
  const servers = [{ id: 'u1', url: `http://${upstream}` }];
  let timeouts: Record<string, number> = { connectMs: PROBE_TIMEOUT_MS, headersMs: PROBE_TIMEOUT_MS, bodyMs: PROBE_TIMEOUT_MS, idleMs: PROBE_TIMEOUT_MS };
  const first = await put(adminUrl, 'backends/up', { servers, timeouts });
  if (first.status === 400 && first.body.includes('bodyMs')) {
    notes.push('this build has no `timeouts.bodyMs` (rejected by the schema): the backend has connectMs, headersMs and idleMs only');
    const { bodyMs: _dropped, ...rest } = timeouts;
    timeouts = rest;
    await putOk(adminUrl, 'backends/up', { servers, timeouts });
  } else if (first.status !== 200 && first.status !== 201) throw new Error(`PUT backends/up answered ${first.status}: ${first.body}`);
  await putOk(adminUrl, 'filters/deny-loopback', { type: 'ip-filter', config: { deny: ['127.0.0.0/8'] } });
  await putOk(adminUrl, 'filters/auth', { type: 'basic-auth', config: { users: { alice: scryptEntry('s3cret') } } });
  await putOk(adminUrl, 'filters/tag-re', { type: 'headers', config: { request: { set: { 'x-probe-route': 're' } } } });
  await putOk(adminUrl, 'routes/all', { match: { pathPrefix: '/' }, backend: 'up' });
  await putOk(adminUrl, 'routes/re', { match: { pathRegex: '/re/(a+)+' }, priority: 10, backend: 'up', filters: ['tag-re'] });
  await putOk(adminUrl, 'routes/admin', { match: { pathPrefix: '/admin/' }, backend: 'up', filters: ['deny-loopback'] });
  const last = await putOk(adminUrl, 'routes/private', { match: { pathPrefix: '/private/' }, backend: 'up', filters: ['auth'] });
  await pollUntil(
    `Junction applying revision ${last}`,
    async () => {
      const r = await fetch(`${adminUrl}/api/v1/status`, { signal: AbortSignal.timeout(5000) });
      const doc = (await r.json()) as { revision?: number };
      return (doc.revision ?? 0) >= last ? true : undefined;
    },
    10_000,
    20,
  );
  return { timeouts, notes };
}
