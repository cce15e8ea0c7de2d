import fc from 'fast-check';
import type { DocumentKind } from '../../src/config/decode/decode-document.js';
import { mintCert } from '../support/certs.js';

/**
 * fast-check generators for the five etcd document types. A "plausible" document is built from
 * the schema's own fields; each field is drawn from values the schema accepts or, at a rate set by
 * the generator's mix, from wrong ones (other JSON types, out-of-range numbers, bad patterns, huge
 * strings), with stray unknown fields now and then. Three mixes: all-good values (mostly accepted
 * documents, which exercise the cross-field rules), a few wrong values, many wrong values. Next to
 * them: arbitrary JSON, and strings that are not JSON at all.
 *
 * The good side keeps out values that would make an accepted document heavy to run (health checks
 * every millisecond, servers outside loopback): the store fuzz feeds these to a live proxy.
 */

/** Any JSON value, small. */
const json = fc.jsonValue({ maxDepth: 3 });

/** Wrong values of every JSON type, plus the classic edge cases. */
const anyWrong: fc.Arbitrary<unknown> = fc.oneof(
  json,
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    -1,
    0,
    1.5,
    -0.0001,
    1e21,
    2 ** 53 + 2,
    -(2 ** 31),
    '',
    ' ',
    '0',
    '1',
    'null',
    'NaN',
    'x'.repeat(5000),
    '\u0000',
    '\ud800',
    '../../etc/passwd',
    [],
    {},
    [null],
    JSON.parse('{"__proto__":{"polluted":true}}') as unknown,
  ),
);

/** How often a field is wrong: weights of the good and the bad side (bad 0: never). */
interface Mix {
  readonly good: number;
  readonly bad: number;
}

type Field = (good: fc.Arbitrary<unknown>, bad?: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown>;

function fieldOf(mix: Mix): Field {
  return (good, bad) => {
    if (mix.bad === 0) return good;
    const wrong = bad === undefined ? anyWrong : fc.oneof(bad, anyWrong);
    return fc.oneof({ arbitrary: good, weight: mix.good }, { arbitrary: wrong, weight: mix.bad });
  };
}

/** A record of optional fields, sometimes (when the mix allows wrong values) with stray unknown ones. */
function docOf(mix: Mix) {
  return (model: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> => {
    const record = fc.record(model, { requiredKeys: [] });
    if (mix.bad === 0) return record.map((r) => Object.assign({}, r));
    const extras = fc.oneof(
      { arbitrary: fc.constant({} as Record<string, unknown>), weight: 4 * mix.good },
      { arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 2 }), weight: mix.bad },
      {
        arbitrary: fc.constantFrom<Record<string, unknown>>(
          { pathprefix: '/typo' },
          { Backend: 'x' },
          { constructor: { prototype: {} } },
          { hasOwnProperty: 1 },
        ),
        weight: mix.bad,
      },
    );
    return fc.tuple(record, extras).map(([r, e]) => Object.assign({}, r, e));
  };
}

const smallArray = <T>(a: fc.Arbitrary<T>, maxLength = 4) => fc.array(a, { maxLength });

export const FUZZ_BACKEND_IDS = ['fz-0', 'fz-1', 'fz-2', 'fz-3', 'live', 'missing'] as const;
export const FUZZ_FILTER_IDS = ['fz-0', 'fz-1', 'fz-2', 'fz-3', 'missing'] as const;

// ---- the good and the bad values of each kind of field ------------------------------------------------

const goodId = fc.oneof(fc.constantFrom('api', 'v1', 'a-b', 'x.y_z', '0'), fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,10}$/));
const badId = fc.constantFrom('Bad Id', '-x', '.x', 'a'.repeat(64), 'UPPER', 'a/b', 'é', '');
const goodBackendRef = fc.oneof({ arbitrary: fc.constantFrom(...FUZZ_BACKEND_IDS), weight: 4 }, { arbitrary: goodId, weight: 1 });
const goodFilterRef = fc.oneof({ arbitrary: fc.constantFrom(...FUZZ_FILTER_IDS), weight: 4 }, { arbitrary: goodId, weight: 1 });
const goodHeaderName = fc.constantFrom('x-tenant', 'X-User-Id', 'cookie', 'authorization', 'x-junction-backend');
const badHeaderName = fc.constantFrom('bad header', '', 'x:y', 'é', 'a\nb');
const goodMethod = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PURGE');
const badMethod = fc.constantFrom('get', 'G ET', '', 'X'.repeat(40));
const goodMillis = fc.integer({ min: 500, max: 60_000 });
const badMillis = fc.constantFrom(0, -5, 1.5, 3_600_001, '100');
const goodPercent = fc.double({ min: 0, max: 100, noNaN: true });
const badPercent = fc.constantFrom(-1, 100.5, 1000);
const goodKeySource = fc.constantFrom('ip', 'header:x-user-id', 'cookie:sid');
const badKeySource = fc.constantFrom('header:', 'cookie:', 'body', 'IP', 'header:a b', 'query:x');
const goodHost = fc.constantFrom('api.example.com', '*.example.com', 'example.com:8443', 'a', 'fz.example');
const badHost = fc.constantFrom('*.', '*', 'a..b', 'exa mple.com', '-x.com', 'x'.repeat(300), 'a/b');
const goodPath = fc.constantFrom('/', '/v1/', '/a/b', '/fz/', '/%20x');
const badPath = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('v1', '', '/'.repeat(3000)));
const goodRegex = fc.constantFrom('/v[0-9]+/.*', '/a|/b', '(?<x>/y)', '\\p{L}+', '/fz/.*');
const badRegex = fc.constantFrom('([', '*', '\\', '[z-a]', '(?=', '.{2,1}', '', '(?<a>x)(?<a>y)');
const goodUrl = fc.constantFrom('http://127.0.0.1:1', 'http://127.0.0.1:9', 'https://localhost:1', 'http://[::1]:1', 'HTTP://127.0.0.1:1', 'http://127.0.0.1:1/');
const badUrl = fc.constantFrom('ftp://x', 'http://x/path', 'http://u:p@127.0.0.1:1', 'http://127.0.0.1:1?q=1', 'not a url', 'http://', '', 'http://127.0.0.1:99999', 'javascript:alert(1)', 'http://#x');
const goodCidr = fc.constantFrom('10.0.0.0/8', '203.0.113.9', '::1/128', '192.0.2.0/24');
const badCidr = fc.constantFrom('not-a-cidr', '10.0.0.0/33', '1.2.3.4/-1', '');

/** Real certificates (openssl, once per process): a self-signed one, and a leaf with its CA after it. */
const CA = mintCert({ cn: 'fuzz-ca', ca: true, days: 60 });
const PAIRS = [mintCert({ names: ['fz.example', 'www.fz.example'] }), mintCert({ names: ['*.fz.example'], issuer: CA, days: 5 })] as const;
const [P0, P1] = PAIRS;
const badCertPem = fc.constantFrom(
  '',
  'not pem',
  '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  P0.key,
  P0.cert + P0.key,
  P0.cert.slice(0, 300),
  P1.cert,
  CA.leaf + P1.leaf,
  P1.leaf + P0.leaf,
);
const badKeyPem = fc.constantFrom('', 'not pem', P1.key, P0.cert, P0.key.replaceAll('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'), P0.key + P1.key, P0.key.slice(0, 120));

/** The five document generators for one mix. */
function documentsFor(mix: Mix): Record<DocumentKind, fc.Arbitrary<Record<string, unknown>>> {
  const field = fieldOf(mix);
  const doc = docOf(mix);
  const id = field(goodId, badId);
  const backendRef = field(goodBackendRef, badId);
  const headerName = field(goodHeaderName, badHeaderName);
  const method = field(goodMethod, badMethod);
  const millis = field(goodMillis, badMillis);
  const percent = field(goodPercent, badPercent);
  const keySource = field(goodKeySource, badKeySource);
  const headerMap = fc.dictionary(fc.oneof(goodHeaderName, badHeaderName), fc.string({ maxLength: 10 }), { maxKeys: 2 });

  const match = doc({
    host: field(goodHost, badHost),
    // at most one of the three: sometimes more, which the rules reject
    pathPrefix: field(goodPath, badPath),
    path: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: field(goodPath, badPath), weight: 1 }),
    pathRegex: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: field(goodRegex, badRegex), weight: 1 }),
    methods: field(fc.uniqueArray(goodMethod, { minLength: 1, maxLength: 3 }), smallArray(method)),
    headers: field(fc.dictionary(goodHeaderName, fc.string({ maxLength: 10 }), { maxKeys: 3 }), headerMap),
  });

  const tee = doc({
    backend: backendRef,
    percent,
    sampleKey: keySource,
    methods: field(fc.uniqueArray(goodMethod, { minLength: 1, maxLength: 3 }), smallArray(method)),
    maxBodyBytes: field(fc.integer({ min: 0, max: 1 << 20 }), fc.constantFrom(-1, 2 ** 31)),
    maxInFlight: field(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(0, -1)),
    maxRps: field(fc.integer({ min: 0, max: 1000 }), fc.constantFrom(-1)),
    timeoutMs: millis,
    headers: field(doc({ set: field(fc.dictionary(goodHeaderName, fc.string({ maxLength: 10 }), { maxKeys: 2 }), headerMap), remove: field(smallArray(goodHeaderName), smallArray(headerName)) })),
    compare: field(fc.boolean()),
    compareHeaders: field(fc.uniqueArray(goodHeaderName, { maxLength: 3 }), smallArray(headerName)),
  });

  const route = doc({
    match: field(match),
    priority: field(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(1.5, 2_000_000)),
    // exactly one of backend and split, most of the time
    backend: fc.oneof({ arbitrary: fc.constant(undefined), weight: 1 }, { arbitrary: backendRef, weight: 2 }),
    split: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 2 },
      { arbitrary: field(fc.array(doc({ backend: backendRef, weight: field(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 0.5)) }), { minLength: 1, maxLength: 4 })), weight: 1 },
    ),
    sticky: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: field(fc.oneof(doc({ cookie: field(fc.constant('junction_canary'), fc.constant('bad cookie')) }), doc({ header: headerName }))), weight: 1 }),
    force: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: field(doc({ header: headerName, cookie: field(fc.constant('junction_backend'), fc.constant('')) })), weight: 1 }),
    guard: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 3 },
      { arbitrary: field(doc({ maxErrorRate: field(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.constantFrom(0, 2)), minRequests: field(fc.integer({ min: 1, max: 1000 }), fc.constant(0)), windowMs: millis })), weight: 1 },
    ),
    tee: field(fc.array(tee, { maxLength: 2 })),
    filters: field(smallArray(field(goodFilterRef, badId))),
  });

  const inlineServer = doc({
    id,
    url: field(goodUrl, badUrl),
    weight: field(fc.integer({ min: 0, max: 10 }), fc.constantFrom(-1, 1.5, 2_000_000)),
    state: field(fc.constantFrom('active', 'draining', 'disabled'), fc.constantFrom('Active', 'gone')),
  });

  const backend = doc({
    balancer: field(fc.constantFrom('round-robin', 'least-request', 'ewma'), fc.constantFrom('random', 'RoundRobin', 'hash')),
    hashKey: fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: keySource, weight: 1 }),
    servers: field(fc.array(inlineServer, { maxLength: 3 })),
    timeouts: field(doc({ connectMs: millis, headersMs: millis, idleMs: millis })),
    maxConnectionsPerServer: field(fc.integer({ min: 1, max: 256 }), fc.constantFrom(0, 70_000)),
    healthCheck: fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 2 },
      {
        arbitrary: field(
          doc({
            path: field(fc.constantFrom('/healthz', '/', '/x'), fc.constantFrom('healthz', '/x'.repeat(1100))),
            intervalMs: field(fc.integer({ min: 2000, max: 5000 }), fc.constantFrom(0, -1)),
            timeoutMs: field(fc.integer({ min: 100, max: 1000 }), fc.constantFrom(6000, 0)),
            healthy: field(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, 101)),
            unhealthy: field(fc.integer({ min: 1, max: 5 }), fc.constantFrom(0, 101)),
          }),
        ),
        weight: 1,
      },
    ),
    breaker: field(
      doc({
        errorThresholdPercentage: field(fc.double({ min: 1, max: 100, noNaN: true }), fc.constantFrom(0, -1, 101)),
        volumeThreshold: field(fc.integer({ min: 0, max: 100 }), fc.constantFrom(-1, 0.5)),
        resetTimeoutMs: millis,
        windowMs: millis,
      }),
    ),
    retry: field(
      doc({
        attempts: field(fc.integer({ min: 0, max: 10 }), fc.constantFrom(11, -1)),
        on: field(fc.uniqueArray(fc.constantFrom('connect', 'reset', 'timeout', '5xx', '503'), { maxLength: 4 }), smallArray(fc.constantFrom('600', '5xX', 'Connect', '99', 'reset'))),
        budgetPercent: percent,
      }),
    ),
  });

  const server = doc({
    url: field(goodUrl, badUrl),
    weight: field(fc.integer({ min: 0, max: 10 }), fc.constantFrom(-1, 1.5)),
    state: field(fc.constantFrom('active', 'draining', 'disabled'), fc.constantFrom('on', '')),
  });

  const filterConfig = fc.oneof(
    doc({ bytes: field(fc.integer({ min: 0, max: 1 << 20 }), fc.constantFrom(-1, '10')) }),
    doc({ rps: field(fc.integer({ min: 1, max: 1000 })), burst: field(fc.integer({ min: 1, max: 1000 })), key: keySource }),
    doc({ allow: field(smallArray(goodCidr), smallArray(badCidr)), deny: field(smallArray(goodCidr), smallArray(badCidr)) }),
    doc({ abortPercent: percent, abortStatus: field(fc.integer({ min: 200, max: 599 }), fc.constantFrom(99, 600)), delayPercent: percent, delayMs: field(fc.integer({ min: 0, max: 50 })) }),
    doc({ prefix: field(goodPath, badPath) }),
    doc({ pattern: field(goodRegex, badRegex), replacement: field(fc.string({ maxLength: 10 })) }),
    doc({ request: field(doc({ set: field(fc.dictionary(goodHeaderName, fc.string({ maxLength: 10 }), { maxKeys: 2 }), headerMap) })) }),
    doc({ users: field(fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 10 }), { maxKeys: 2 })) }),
    json,
  );

  const filter = doc({
    type: field(
      fc.constantFrom('rate-limit', 'max-body', 'fault', 'headers', 'ip-filter', 'cors', 'basic-auth', 'strip-prefix', 'rewrite-path'),
      fc.constantFrom('no-such-type', 'Bad Type', ''),
    ),
    config: field(filterConfig),
  });

  // a certificate and its key come in pairs: the good side draws one pair, the bad side breaks either half
  const cert = fc.constantFrom(...PAIRS).chain((p) =>
    doc({
      cert: field(fc.constant(p.cert), badCertPem),
      key: field(fc.constant(p.key), badKeyPem),
      default: field(fc.boolean()),
    }),
  );

  const domain = fc.stringMatching(/^[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){1,3}$/);
  const acme = doc({
    domains: field(
      fc.uniqueArray(domain, { minLength: 1, maxLength: 4 }),
      fc.constantFrom([], ['*.wild.example'], ['Upper.Example'], ['127.0.0.1'], ['single'], ['trail.example.'], ['-bad.example'], [1], 'a.example'),
    ),
  });

  return { route, backend, server, filter, cert, acme };
}

const MIXES: readonly Mix[] = [
  { good: 1, bad: 0 },
  { good: 30, bad: 1 },
  { good: 4, bad: 1 },
];
const DOCS = MIXES.map(documentsFor);

/** Strings that are not JSON, or JSON that is not an object, or JSON cut short. */
const notJson = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '{', '}', '{"a":', '[', 'null', 'true', '0', '"str"', '[]', '{}{}', '{"a":1,}', "{'a':1}", 'NaN', 'undefined', '\ufeff{}', '{"__proto__":{"x":1}}', '{"a":1}\u0000'),
  fc.constant(`${'['.repeat(20_000)}${']'.repeat(20_000)}`),
  fc.constant(`{"match":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`),
  fc.constant('{"backend":"a","backend":"b"}'),
);

/** A raw stored value for `kind`: plausible documents most of the time, arbitrary JSON and non-JSON too. */
export function rawDocument(kind: DocumentKind): fc.Arbitrary<string> {
  const plausible = fc.oneof(...DOCS.map((d) => d[kind])).map((d) => JSON.stringify(d));
  const truncated = fc.tuple(plausible, fc.nat()).map(([s, n]) => s.slice(0, n % Math.max(1, s.length)));
  return fc.oneof(
    { arbitrary: plausible, weight: 12 },
    { arbitrary: json.map((v) => JSON.stringify(v)), weight: 2 },
    { arbitrary: notJson, weight: 2 },
    { arbitrary: truncated, weight: 1 },
  );
}

export const KINDS: readonly DocumentKind[] = ['route', 'backend', 'server', 'filter', 'cert', 'acme'];
