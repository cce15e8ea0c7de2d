import { Type, type Static } from '@sinclair/typebox';

/**
 * `P/acme/<id>`: names Junction gets a certificate for from the ACME server (`--acme-directory`),
 * written to `P/certs/acme-<id>` and renewed when a third of its lifetime is left (docs/tls.md).
 * What each name must be is checked by `acmeRules`.
 */
export const AcmeSpecSchema = Type.Object(
  {
    domains: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      description: 'the DNS names of the certificate; the first is its subject',
    }),
  },
  { additionalProperties: false },
);

export type AcmeSpec = Static<typeof AcmeSpecSchema>;
