/**
 * The dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core): it
 * asks for the admin token once per browser session, renders the configuration Junction serves
 * (from a real etcd), shows live traffic shares from the events socket, and updates when etcd
 * changes — through the socket's `config.applied`, not the periodic poll. A write from the page is
 * accepted (same-origin); pages elsewhere, and a DNS-rebinding page, cannot write to a token-less
 * admin API (docs/api.md, "Cross-site requests").
 *
 * Chromium must be there: the test installs it from apt when missing (as root) and FAILS, never
 * skips, when it cannot.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { etcdctl, startEtcd, type EtcdProcess } from '../support/etcd.js';
import { get, startTestJunction, type TestJunction } from '../support/junction.js';
import { startUpstream, type TestUpstream } from '../support/upstream.js';
import { mintCert } from '../support/certs.js';

// functions passed to page.evaluate run in the browser: the few DOM globals they use (no DOM lib here)
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { getAttribute(name: string): string | null } | null;
};
declare const sessionStorage: { getItem(key: string): string | null };

const TOKEN = 'dash-token';
const CHROMIUM = process.env.JUNCTION_CHROMIUM ?? '/usr/bin/chromium';

let etcd: EtcdProcess;
let j: TestJunction;
/** a second instance with no token (the default), the target of the cross-site attacks */
let open: TestJunction;
let stable: TestUpstream;
let canary: TestUpstream;
let browser: BrowserContext;
let profile: string;
let page: Page;

/** Debian's chromium, installed from apt when missing; throws (the test fails) when that is impossible. */
function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore', timeout: 300_000 });
      execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { env, stdio: 'ignore', timeout: 600_000 });
    } catch (err) {
      throw new Error(`Chromium is missing at ${CHROMIUM} and apt-get install chromium failed: ${(err as Error).message}`);
    }
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium)`);
  return CHROMIUM;
}

const put = (key: string, doc: unknown) => etcdctl([etcd.endpoint], 'put', `/junction/${key}`, typeof doc === 'string' ? doc : JSON.stringify(doc));

before(async () => {
  const executablePath = ensureChromium();
  etcd = await startEtcd();
  stable = await startUpstream('stable');
  canary = await startUpstream('canary');
  await put('backends/web-stable', { servers: [{ id: 'stable-1', url: stable.url }] });
  await put('backends/web-canary', { servers: [{ id: 'canary-1', url: canary.url }] });
  await put('routes/web', { match: { host: 'web.test', pathPrefix: '/' }, split: [{ backend: 'web-stable', weight: 80 }, { backend: 'web-canary', weight: 20 }] });
  j = await startTestJunction({ etcd: [etcd.endpoint], adminToken: TOKEN });
  open = await startTestJunction();
  profile = mkdtempSync(join(tmpdir(), 'junction-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1300, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // DNS rebinding without DNS: the attacker's name resolves to loopback in this browser
      '--host-resolver-rules=MAP evil.example 127.0.0.1',
    ],
  });
  page = await browser.newPage();
});

after(async () => {
  await browser?.close();
  await j?.stop();
  await open?.stop();
  await stable?.close();
  await canary?.close();
  await etcd?.cleanup();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('asks for the token once per session, then renders the routes and backends Junction serves', async () => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${j.adminUrl}/`);
  await page.waitForSelector('#token-dialog[open]', { timeout: 10_000 });
  await page.fill('#token-input', TOKEN);
  await page.click('#token-form button');
  await page.waitForSelector('#routes tbody tr[data-route="web"]', { timeout: 10_000 });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('junction.adminToken')), 'dash-token');

  const row = page.locator('#routes tbody tr[data-route="web"]');
  const text = await row.innerText();
  assert.match(text, /web\.test/);
  assert.match(text, /web-stable/);
  assert.match(text, /web-canary/);
  assert.equal(await row.locator('.arm[data-backend="web-stable"] [data-weight]').getAttribute('data-weight'), '80.0');
  assert.equal(await row.locator('.arm[data-backend="web-canary"] [data-weight]').getAttribute('data-weight'), '20.0');
  assert.match(await page.locator('#backends [data-backend="web-stable"]').innerText(), /stable-1/);
  assert.equal(await page.locator('#revision').innerText(), String(j.snapshot()?.revision));
  await page.waitForSelector('#conn[data-state="open"]', { timeout: 10_000 });

  // same browser session: a reload does not ask again
  await page.reload();
  await page.waitForSelector('#routes tbody tr[data-route="web"]', { timeout: 10_000 });
  assert.equal(await page.locator('#token-dialog[open]').count(), 0);
  assert.deepEqual(errors, []);
});

test('live traffic shares arrive over the events socket', async () => {
  await page.waitForSelector('#conn[data-state="open"]', { timeout: 10_000 });
  for (let i = 0; i < 50; i++) assert.equal((await get(`${j.url}/x`, { headers: { host: 'web.test' } })).status, 200);
  await page.waitForFunction(
    () => {
      const s = document.querySelector('tr[data-route="web"] .arm[data-backend="web-stable"] [data-share]')?.getAttribute('data-share');
      return s !== null && s !== undefined && s !== '' && Number(s) > 50;
    },
    undefined,
    { timeout: 10_000 },
  );
  const share = Number(await page.locator('tr[data-route="web"] .arm[data-backend="web-stable"] [data-share]').getAttribute('data-share'));
  assert.ok(share > 70 && share < 90, `stable's live share ${share}% for an 80/20 split`);
});

test('an etcd change shows up live, triggered by the events socket', async () => {
  const revBefore = Number(await page.evaluate(() => document.body.dataset.revision));
  await put('routes/late', { match: { pathPrefix: '/late/' }, backend: 'web-canary', priority: 5 });
  await page.waitForSelector('#routes tbody tr[data-route="late"]', { timeout: 10_000 });
  const refreshes = await page.evaluate(() => document.body.dataset.refreshes ?? '');
  assert.match(refreshes, /event:config\.applied@\d+/, `refreshed by the socket (${refreshes})`);
  assert.ok(Number(await page.evaluate(() => document.body.dataset.revision)) > revBefore);
  assert.match(await page.locator('#events').innerText(), /config\.applied/);
  const items = await page.locator('#events li').allInnerTexts();
  assert.equal(new Set(items).size, items.length, `each event listed once: ${items.join('\n')}`);

  // a broken value is listed under configuration errors, by key
  await put('routes/late', '{"match": ');
  await page.waitForSelector('#errors tbody tr[data-key="/junction/routes/late"]', { timeout: 10_000 });
  assert.equal(await page.locator('#errors-section').isVisible(), true);
  // and a weight change moves the bars
  await put('routes/web', { match: { host: 'web.test', pathPrefix: '/' }, split: [{ backend: 'web-stable', weight: 50 }, { backend: 'web-canary', weight: 50 }] });
  await page.waitForFunction(() => document.querySelector('tr[data-route="web"] .arm[data-backend="web-canary"] [data-weight]')?.getAttribute('data-weight') === '50.0', undefined, { timeout: 10_000 });
  await page.screenshot({ path: join(profile, 'dashboard.png'), fullPage: true });
});

test('the certificates it serves, soonest expiry first, with a warning under 14 days', async () => {
  const soon = mintCert({ names: ['soon.example.com'], days: 10 });
  const later = mintCert({ names: ['shop.example.com', '*.shop.example.com'], days: 200 });
  await put('certs/later', { cert: later.cert, key: later.key, default: true });
  await put('certs/soon', { cert: soon.cert, key: soon.key });
  await page.waitForSelector('#certs tbody tr[data-cert="soon"]', { timeout: 10_000 });
  await page.waitForSelector('#certs tbody tr[data-cert="later"]', { timeout: 10_000 });
  const rows = page.locator('#certs tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-cert'))), ['soon', 'later']);
  const soonRow = page.locator('#certs tr[data-cert="soon"]');
  assert.equal(await soonRow.getAttribute('data-warning'), 'yes');
  assert.match(await soonRow.locator('.tag.warn').innerText(), /^(9|10) days$/);
  assert.match((await soonRow.locator('.tag.warn').getAttribute('title')) ?? '', /^expires in (9|10) days/);
  const laterRow = page.locator('#certs tr[data-cert="later"]');
  assert.equal(await laterRow.getAttribute('data-warning'), 'no');
  assert.match(await laterRow.innerText(), /default/);
  assert.match(await laterRow.innerText(), /\*\.shop\.example\.com/);
  assert.doesNotMatch(await page.locator('body').innerText(), /PRIVATE KEY/);
  assert.equal(await page.locator('#certs-count').innerText(), '2');
});

/** The transaction an attacking page posts: a backend and a catch-all route to it. */
const ATTACK_TX = JSON.stringify({
  ops: [
    { op: 'put', key: 'backends/evil', value: { servers: [{ id: 'a', url: 'http://127.0.0.1:1' }] } },
    { op: 'put', key: 'routes/evil', value: { match: { pathPrefix: '/' }, priority: 1000, backend: 'evil' } },
  ],
});

test('a write from the dashboard page itself is same-origin and accepted', async () => {
  assert.equal((await get(`${j.adminUrl}/`)).headers['referrer-policy'], 'same-origin', "the page's own writes carry their Origin, not null");
  // the page's own fetch, as a dashboard write would send it: its origin, JSON, the token
  const answer = await page.evaluate(async () => {
    const token = sessionStorage.getItem('junction.adminToken') ?? '';
    const res = await fetch('/api/v1/routes/from-page?dryRun=1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ match: { pathPrefix: '/page/' }, backend: 'web-stable' }),
    });
    return { status: res.status, body: await res.text() };
  });
  assert.equal(answer.status, 200, answer.body);
  assert.equal(JSON.parse(answer.body).valid, true);
});

test('a page on another origin cannot write to a token-less admin API: its text/plain POST is refused, nothing is written', async () => {
  const attacker = await browser.newPage();
  try {
    // any page elsewhere: here the stable upstream, by another name (another origin, another site)
    await attacker.goto(`${stable.url.replace('127.0.0.1', 'localhost')}/`);
    const target = `${open.adminUrl}/api/v1/tx`;
    // a "simple" request: no preflight, the answer is opaque to the page, but the request is sent
    await attacker.evaluate(async ([url, body]) => {
      await fetch(url as string, { method: 'POST', mode: 'no-cors', body: body as string });
    }, [target, ATTACK_TX]);
    // and with the header a preflight would guard: the browser asks first, and gets no CORS grant
    const preflighted = await attacker.evaluate(async ([url, body]) => {
      try {
        await fetch(url as string, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body as string });
        return 'sent';
      } catch {
        return 'blocked';
      }
    }, [target, ATTACK_TX]);
    assert.equal(preflighted, 'blocked');
    assert.equal(await open.store.get('/junction/routes/evil'), undefined, 'the cross-site POST created no route');
    assert.equal(await open.store.get('/junction/backends/evil'), undefined);
  } finally {
    await attacker.close();
  }
});

test('DNS rebinding: a page whose name resolves to 127.0.0.1 loads the static page but every API call is refused', async () => {
  const attacker = await browser.newPage();
  try {
    // evil.example -> 127.0.0.1 (--host-resolver-rules): same-origin for the browser, Host evil.example
    await attacker.goto(`http://evil.example:${open.adminAddress.port}/`);
    const answers = await attacker.evaluate(async (body) => {
      const write = await fetch('/api/v1/tx', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const read = await fetch('/api/v1/routes');
      return { write: write.status, writeBody: await write.text(), read: read.status };
    }, ATTACK_TX);
    assert.equal(answers.write, 403, answers.writeBody);
    assert.equal(JSON.parse(answers.writeBody).error, 'forbidden_host');
    assert.equal(answers.read, 403);
    assert.equal(await open.store.get('/junction/routes/evil'), undefined, 'the rebound page created no route');
  } finally {
    await attacker.close();
  }
});
