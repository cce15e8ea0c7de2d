// rewrite-path: rewrites the path with a regular expression, matched by RE2 in linear time (no
// pattern can make a request backtrack), and a JavaScript-style replacement: $1..$99, $<name>,
// $& (the match) and $$ (a dollar).
// config: { "pattern": "^/old/(.*)$", "replacement": "/new/$1" }   Non-matching paths pass unchanged.
// The first match is replaced, as String.prototype.replace does with a non-global RegExp.
import { RE2JS } from 're2js';

/**
 * The replacement with its `$` references resolved against one match.
 * @param {string} replacement
 * @param {(ref: number | string) => string | null} group  a group's text (0 = the match), null if it did not take part
 * @param {number} groups  how many numbered groups the pattern has
 */
function expand(replacement, group, groups) {
  return replacement.replace(/\$(\$|&|<([^>]*)>|[0-9]{1,2})/g, (whole, ref, name) => {
    if (ref === '$') return '$';
    if (ref === '&') return group(0) ?? '';
    if (name !== undefined) return group(name) ?? '';
    // like JavaScript: $12 is group 12 when there is one, else group 1 followed by "2"
    const two = Number(ref);
    if (two >= 1 && two <= groups) return group(two) ?? '';
    const one = Number(ref[0]);
    if (ref.length === 2 && one >= 1 && one <= groups) return (group(one) ?? '') + ref[1];
    return whole;
  });
}

/** @type {import('junction/filter').FilterModule<{ pattern: string, replacement: string }>} */
export default {
  type: 'rewrite-path',
  schema: {
    type: 'object',
    properties: {
      pattern: { type: 'string', minLength: 1, maxLength: 2048, format: 're2' },
      replacement: { type: 'string', maxLength: 2048 },
    },
    required: ['pattern', 'replacement'],
    additionalProperties: false,
  },
  create(config) {
    const re = RE2JS.compile(config.pattern);
    const groups = re.groupCount();
    const names = re.namedGroups();
    return {
      onRequest(ex) {
        const m = re.matcher(ex.path);
        if (!m.find()) return;
        /** @param {number | string} ref */
        const group = (ref) => (typeof ref === 'number' ? m.group(ref) : ref in names ? m.group(ref) : null);
        let next = ex.path.slice(0, m.start()) + expand(config.replacement, group, groups) + ex.path.slice(m.end());
        if (!next.startsWith('/')) next = '/' + next;
        ex.path = next;
      },
    };
  },
};
