import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseServeOptions } from '../../src/cli/serve-options.js';

// No Docker engine runs here: check what can be checked without one — that the file parses, that
// the cluster, the instances and the demo upstreams agree with each other, and that every Junction
// command line is one `junction serve` accepts.
const root = new URL('../../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: string; command?: string[]; environment?: Record<string, string>; ports?: string[] }>;
};
const services = compose.services;

test('a 3-member etcd cluster whose members agree on the initial cluster', () => {
  const members = Object.keys(services).filter((n) => /^etcd\d$/.test(n));
  assert.deepEqual(members, ['etcd1', 'etcd2', 'etcd3']);
  const cluster = members.map((m) => `${m}=http://${m}:2380`).join(',');
  for (const m of members) {
    const env = services[m]?.environment ?? {};
    assert.equal(env.ETCD_NAME, m);
    assert.equal(env.ETCD_INITIAL_CLUSTER, cluster);
    assert.equal(env.ETCD_ADVERTISE_CLIENT_URLS, `http://${m}:2379`);
    assert.equal(env.ETCD_INITIAL_ADVERTISE_PEER_URLS, `http://${m}:2380`);
    assert.match(services[m]?.image ?? '', /etcd:v3\.5/);
  }
});

test('two Junction instances on every etcd member, with command lines junction serve accepts', () => {
  const instances = Object.keys(services).filter((n) => n.startsWith('junction-'));
  assert.deepEqual(instances, ['junction-1', 'junction-2']);
  for (const name of instances) {
    const svc = services[name];
    assert.equal(svc?.build, '.');
    const [command, ...args] = svc?.command ?? [];
    assert.equal(command, 'serve');
    const opts = parseServeOptions(args, svc?.environment ?? {});
    assert.deepEqual(opts.etcd, ['http://etcd1:2379', 'http://etcd2:2379', 'http://etcd3:2379']);
    assert.equal(opts.instanceId, name);
    assert.ok(opts.adminToken, 'a non-loopback admin listener has a token');
    assert.equal(opts.listen.port, 8080);
  }
});

test('the demo upstreams junction-1 configures are services that listen where it says', () => {
  const [, ...args] = services['junction-1']?.command ?? [];
  const opts = parseServeOptions(args, services['junction-1']?.environment ?? {});
  assert.equal(opts.demo, true);
  assert.equal(opts.demoUpstreams?.length, 3);
  for (const url of opts.demoUpstreams ?? []) {
    const u = new URL(url);
    const svc = services[u.hostname];
    assert.ok(svc, `${u.hostname} is a service`);
    assert.equal(svc.command?.[0], 'demo-upstream');
    assert.deepEqual(svc.command?.slice(-2), ['--listen', `0.0.0.0:${u.port}`]);
  }
});

test('the image the services run is built by the Dockerfile, whose entrypoint is the junction CLI', () => {
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  assert.match(dockerfile, /ENTRYPOINT \["node", "bin\/junction\.js"\]/);
  assert.match(dockerfile, /^FROM node:24/m);
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  assert.match(readme, /docker compose up/);
});
