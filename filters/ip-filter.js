// ip-filter: allows or denies clients by address, IPv4 and IPv6 CIDRs (or single addresses).
// config: { "allow": ["203.0.113.0/24", "2001:db8::/32"], "deny": ["203.0.113.7"] }
// deny wins; with a non-empty allow list, anything not in it is denied. Denied: 403.
import { BlockList, isIP } from 'node:net';

const cidrList = { type: 'array', items: { type: 'string', minLength: 2, maxLength: 64 }, maxItems: 10000 };

/**
 * @param {string[] | undefined} entries
 * @param {string} field the config field, for the error message
 * @returns {BlockList}
 */
function blockList(entries, field) {
  const list = new BlockList();
  for (const entry of entries ?? []) {
    const [addr = '', bits] = entry.split('/'); // split always yields a first part
    const family = isIP(addr);
    if (family === 0) throw new Error(`${field}: ${entry} is not an IP address or CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new Error(`${field}: ${entry} has a bad prefix length`);
      list.addSubnet(addr, prefix, type);
    }
  }
  return list;
}

/** @type {import('junction/filter').FilterModule<{ allow?: string[], deny?: string[] }>} */
export default {
  type: 'ip-filter',
  schema: { type: 'object', properties: { allow: cidrList, deny: cidrList }, additionalProperties: false },
  create(config) {
    const allow = config.allow?.length ? blockList(config.allow, 'allow') : undefined;
    const deny = blockList(config.deny, 'deny');
    const forbidden = { status: 403, body: { error: 'forbidden', message: 'your address may not use this route' } };
    return {
      onRequest(ex) {
        const ip = ex.clientIp;
        const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
        if (deny.check(ip, type)) return forbidden;
        if (allow !== undefined && !allow.check(ip, type)) return forbidden;
      },
    };
  },
};
