/**
 * Illustrative addresses in the docs and in the CLI's help use the documentation ranges of RFC 5737
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), which answer on no network: an example copied
 * as it is cannot reach somebody's real 10.0.0.1. Loopback and 0.0.0.0 are real and allowed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { BlockList } from 'node:net';
import { run } from '../cli/cli-process.js';

const root = new URL('../../../', import.meta.url);

const allowed = new BlockList();
allowed.addSubnet('127.0.0.0', 8);
allowed.addAddress('0.0.0.0');
for (const net of ['192.0.2.0', '198.51.100.0', '203.0.113.0']) allowed.addSubnet(net, 24);
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8);

/** Every IPv4 literal (or CIDR) in `text` outside the allowed ranges, as "line N: address". */
function strayAddresses(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const m of line.matchAll(/(?<![\w.])((?:\d{1,3}\.){3}\d{1,3})(?:\/(\d{1,2}))?(?![\w.])/g)) {
      const [address, prefix] = [m[1] ?? '', m[2]];
      if (address.split('.').some((o) => Number(o) > 255)) continue; // not an address
      // a CIDR must lie inside an allowed range: loopback (127.0.0.0/8 itself) or a documentation /24
      const inside = prefix === undefined ? allowed.check(address) : allowed.check(address) && Number(prefix) >= (loopback.check(address) ? 8 : 24);
      if (!inside) out.push(`line ${i + 1}: ${m[0]}`);
    }
  });
  return out;
}

test('the README and docs/*.md use documentation-range addresses for every illustrative one', () => {
  const files = ['README.md', ...readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const stray = files.flatMap((f) => strayAddresses(readFileSync(new URL(f, root), 'utf8')).map((s) => `${f} ${s}`));
  assert.deepEqual(stray, []);
});

test("the CLI's help texts use documentation-range addresses", async () => {
  const helps = [['help'], ['serve', '--help'], ['validate', '--help'], ...['status', 'route', 'backend', 'filter', 'server', 'canary', 'tee'].map((c) => [c, '--help'])];
  for (const args of helps) {
    const r = await run(args);
    assert.equal(r.code, 0, `junction ${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stdout.length > 100, `junction ${args.join(' ')} prints its help`);
    assert.deepEqual(strayAddresses(r.stdout), [], `junction ${args.join(' ')}`);
  }
});

test('the check catches private, public and wide addresses and lets the documentation ranges through', () => {
  assert.deepEqual(strayAddresses('http://10.0.0.1:8080 and 8.8.8.8, 192.0.2.0/16, 127.0.0.0/7\nok: 127.0.0.1 0.0.0.0 198.51.100.7 203.0.113.0/24 127.0.0.0/8 v1.2.3.4.5 999.1.1.1'), [
    'line 1: 10.0.0.1',
    'line 1: 8.8.8.8',
    'line 1: 192.0.2.0/16',
    'line 1: 127.0.0.0/7',
  ]);
});
