// basic-auth: HTTP Basic authentication against scrypt-hashed passwords (no plaintext in etcd).
// config: { "users": { "alice": "scrypt:<salt base64>:<hash base64>" }, "realm": "shop" }
// Make a hash:  node -e "import('./filters/basic-auth.js').then(m => console.log(m.hashPassword('s3cret')))"
// A good login forwards the request with `x-junction-user: <name>` and without the Authorization
// header; anything else is answered 401 with WWW-Authenticate. Verified credentials are cached
// (by a SHA-256 of the header) for 60 s so scrypt's cost is paid once per client, not per request.
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEYLEN = 32;

/**
 * The `scrypt:<salt>:<hash>` form basic-auth expects for a password.
 * @param {string} password
 * @param {Buffer} [salt]
 */
export function hashPassword(password, salt = randomBytes(16)) {
  const hash = scryptSync(password, salt, KEYLEN, SCRYPT);
  return `scrypt:${salt.toString('base64')}:${hash.toString('base64')}`;
}

/**
 * scrypt runs on libuv's thread pool: a login never blocks the event loop that serves traffic
 * @param {string} password
 * @param {string} stored the user's `scrypt:<salt>:<hash>`
 * @returns {Promise<boolean>}
 */
function verify(password, stored) {
  const [scheme, salt, hash] = stored.split(':');
  if (scheme !== 'scrypt' || !salt || !hash) return Promise.resolve(false);
  const expected = Buffer.from(hash, 'base64');
  return new Promise((resolve) => {
    scrypt(password, Buffer.from(salt, 'base64'), expected.length || KEYLEN, SCRYPT, (err, actual) => {
      resolve(!err && actual.length === expected.length && timingSafeEqual(actual, expected));
    });
  });
}

/**
 * @param {import('junction/filter').FilterExchange} ex
 * @param {string} user
 */
function pass(ex, user) {
  delete ex.headers.authorization;
  ex.headers['x-junction-user'] = user;
  return undefined;
}

/** @type {import('junction/filter').FilterModule<{ users: Record<string, string>, realm?: string }>} */
export default {
  type: 'basic-auth',
  schema: {
    type: 'object',
    properties: {
      users: {
        type: 'object',
        additionalProperties: { type: 'string', pattern: '^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$' },
        propertyNames: { pattern: '^[^:]+$' },
        minProperties: 1,
      },
      realm: { type: 'string', pattern: '^[^"\\\\]*$', maxLength: 256 },
    },
    required: ['users'],
    additionalProperties: false,
  },
  create(config) {
    const users = new Map(Object.entries(config.users));
    /** @type {Map<string, { user: string, until: number }>} */
    const cache = new Map();
    const challenge = {
      status: 401,
      headers: { 'www-authenticate': `Basic realm="${config.realm ?? 'junction'}", charset="UTF-8"` },
      body: { error: 'unauthorized', message: 'valid credentials are required' },
    };
    return {
      onRequest(ex) {
        const header = ex.headers.authorization;
        if (typeof header !== 'string' || !/^basic /i.test(header)) return challenge;
        const digest = createHash('sha256').update(header).digest('base64');
        const now = Date.now();
        const hit = cache.get(digest);
        if (hit !== undefined && hit.until >= now) return pass(ex, hit.user);
        const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        const name = colon < 0 ? '' : decoded.slice(0, colon);
        const stored = users.get(name);
        if (stored === undefined) return challenge;
        return verify(decoded.slice(colon + 1), stored).then((ok) => {
          if (!ok) return challenge;
          const oldest = cache.size >= 10_000 ? cache.keys().next().value : undefined;
          if (oldest !== undefined) cache.delete(oldest);
          cache.set(digest, { user: name, until: now + 60_000 });
          return pass(ex, name);
        });
      },
      close() {
        cache.clear();
      },
    };
  },
};
