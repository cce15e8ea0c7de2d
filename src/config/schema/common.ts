import { Type } from '@sinclair/typebox';
import { ID_PATTERN } from '../ids.js';

export { ID_PATTERN, ID_RE } from '../ids.js';

export const Id = Type.String({ pattern: ID_PATTERN, description: 'an id: lower-case letters, digits, _ . -' });

/** An HTTP header name (RFC 9110 token). */
export const HeaderName = Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 256 });

/** A cookie name (RFC 6265 token). */
export const CookieName = Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 256 });

/** `header:NAME`, `cookie:NAME` or `ip`: where a hash key comes from. */
export const KeySource = Type.String({
  pattern: "^(ip|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|cookie:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$",
  description: 'header:NAME | cookie:NAME | ip',
});

export const Method = Type.String({ pattern: "^[A-Z][!#$%&'*+.^_`|~0-9A-Z-]*$", maxLength: 32 });

export const Millis = (max = 3_600_000) => Type.Integer({ minimum: 1, maximum: max });

export const HttpUrl = Type.String({ pattern: '^https?://', maxLength: 2048, description: 'http:// or https:// URL' });
