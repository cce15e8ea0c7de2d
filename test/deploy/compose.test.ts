import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseServeOptions } from '../../src/cli/serve-options.js';

// No Docker engine runs here: check what can be checked without one — that the file parses, that
// the cluster, the instances and the demo upstreams agree with each other, and that every Junction
// command line is one `junction serve` accepts.
const root = new URL('../../../', import.meta.url);
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] | string; interval?: string };
  depends_on?: string[] | Record<string, { condition?: string }>;
}
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const deployMd = readFileSync(new URL('docs/deploy.md', root), 'utf8');

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
    assert.equal(opts.listen?.port, 8080);
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

/** The argv a healthcheck runs (exec form only: the etcd image has no shell). */
function healthcheck(name: string): string[] {
  const t = services[name]?.healthcheck?.test;
  assert.ok(Array.isArray(t) && t[0] === 'CMD', `${name}: a healthcheck in exec form ["CMD", ...]`);
  return t.slice(1);
}

test("each etcd member has a health check on its own client port and its data dir on a named volume of its own", () => {
  const members = Object.keys(services).filter((n) => /^etcd\d$/.test(n));
  const volumes = new Set<string>();
  for (const m of members) {
    const env = services[m]?.environment ?? {};
    const port = new URL(env.ETCD_LISTEN_CLIENT_URLS ?? '').port;
    const argv = healthcheck(m);
    assert.equal(argv[0], 'etcdctl');
    assert.ok(argv.includes('endpoint') && argv.includes('health'), `${m}: etcdctl endpoint health`);
    assert.ok(argv.includes(`--endpoints=http://127.0.0.1:${port}`), `${m}: checks its own client port ${port} (inside its container)`);
    const dataDir = env.ETCD_DATA_DIR;
    assert.ok(dataDir, `${m}: ETCD_DATA_DIR`);
    const mount = (services[m]?.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === dataDir);
    assert.ok(mount, `${m}: a volume is mounted at ${dataDir}`);
    const [volume] = mount;
    assert.ok(volume && !volume.startsWith('.') && !volume.startsWith('/'), `${m}: ${volume} is a named volume, not a bind mount`);
    assert.ok(compose.volumes && volume in compose.volumes, `${volume} is declared under the top-level volumes`);
    assert.ok(!volumes.has(volume), `${m}: its volume is its own`);
    volumes.add(volume);
  }
});

test("each Junction instance is checked on /readyz at its admin port, reachable from inside the container, and waits for healthy etcd", () => {
  for (const name of Object.keys(services).filter((n) => n.startsWith('junction-'))) {
    const svc = services[name] as Service;
    const opts = parseServeOptions((svc.command ?? []).slice(1), svc.environment ?? {});
    const argv = healthcheck(name).join(' ');
    const url = /https?:\/\/[^'"\s)]+/.exec(argv)?.[0];
    assert.ok(url, `${name}: the health check requests a URL`);
    const u = new URL(url);
    assert.equal(u.pathname, '/readyz');
    assert.equal(Number(u.port), opts.admin.port, `${name}: the admin listener's port`);
    assert.equal(u.hostname, '127.0.0.1', `${name}: the check runs inside the container`);
    assert.ok(['0.0.0.0', '::', '127.0.0.1', 'localhost'].includes(opts.admin.host), `${name}: the admin listener (${opts.admin.host}) accepts 127.0.0.1`);
    assert.equal(healthcheck(name)[0], 'node', `${name}: the image has node (and no curl)`);
    const deps = svc.depends_on;
    assert.ok(deps && !Array.isArray(deps), `${name}: depends_on with conditions`);
    for (const e of opts.etcd ?? []) {
      const member = new URL(e).hostname;
      assert.equal(deps[member]?.condition, 'service_healthy', `${name} waits for ${member} to be healthy`);
      assert.ok(services[member]?.healthcheck, `${member} has the health check that condition needs`);
    }
  }
});

test('the demo upstreams are checked on the port they listen on', () => {
  for (const name of Object.keys(services).filter((n) => n.startsWith('upstream-'))) {
    const cmd = services[name]?.command ?? [];
    const port = (cmd[cmd.indexOf('--listen') + 1] ?? '').split(':').at(-1);
    assert.match(healthcheck(name).join(' '), new RegExp(`http://127\\.0\\.0\\.1:${port}/healthz`), name);
  }
});

test('docs/deploy.md builds and runs the image under the name compose gives it, with commands junction accepts', () => {
  const images = new Set(Object.values(services).filter((s) => s.build === '.').map((s) => s.image));
  assert.equal(images.size, 1, 'every service built from the Dockerfile names one image');
  const [image] = images;
  const blocks = [...deployMd.matchAll(/```(?:sh|console)[^\n]*\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').replace(/\\\n\s*/g, ' '));
  const build = blocks.flatMap((b) => [...b.matchAll(/docker build -t (\S+) \./g)].map((m) => m[1]));
  assert.deepEqual(build, [image], 'docker build -t <the compose image> .');
  const runs = blocks.flatMap((b) => [...b.matchAll(/docker run (.*)/g)].map((m) => m[1] ?? ''));
  assert.ok(runs.length > 0, 'deploy.md shows a docker run');
  for (const run of runs) {
    const words = run.trim().split(/\s+/);
    const env: Record<string, string> = {};
    let i = 0;
    for (; i < words.length && (words[i] ?? '').startsWith('-'); i++) {
      const flag = words[i] ?? '';
      if (flag === '-e') {
        const [k, ...v] = (words[++i] ?? '').split('=');
        env[k ?? ''] = v.join('=');
      } else if (flag === '-p' || flag === '-v' || flag === '--name') i++;
    }
    assert.equal(words[i], image, `docker run ... ${image}: ${run}`);
    const [command, ...args] = words.slice(i + 1);
    if (command === 'serve') {
      const opts = parseServeOptions(args, env);
      assert.ok(opts.adminToken || opts.admin.host === '127.0.0.1', `${run}: an admin listener reachable from outside has a token`);
    } else {
      assert.equal(command, 'demo-upstream', run);
    }
  }
  // the compose table names every service, and the upstreams' command as compose runs it
  for (const name of Object.keys(services)) assert.ok(deployMd.includes(`\`${name}\``), `deploy.md describes ${name}`);
  const up = services['upstream-stable']?.command ?? [];
  assert.ok(deployMd.includes(`junction ${up.join(' ').replace('stable', 'NAME')}`), `deploy.md shows the upstreams' command: ${up.join(' ')}`);
  assert.match(deployMd, /\/readyz/, 'deploy.md says what the Junction health check asks');
});
