import { Type, type Static } from '@sinclair/typebox';

/**
 * `P/certs/<id>`: a certificate the TLS listener serves by SNI (docs/tls.md). `cert` is the leaf
 * first, then its chain; `key` the leaf's private key. Both are PEM text; what they hold is checked
 * by `certRules` (parse, key match, validity period), not by the schema.
 */
export const CertSpecSchema = Type.Object(
  {
    cert: Type.String({ minLength: 1, maxLength: 262_144, description: 'PEM: the leaf first, then its chain' }),
    key: Type.String({ minLength: 1, maxLength: 65_536, description: "PEM: the leaf's private key, unencrypted" }),
    default: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type CertSpec = Static<typeof CertSpecSchema>;
