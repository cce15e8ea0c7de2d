import { Type, type Static } from '@sinclair/typebox';
import { HttpUrl, Id, KeySource, Millis } from './common.js';

export const ServerStateSchema = Type.Union([Type.Literal('active'), Type.Literal('draining'), Type.Literal('disabled')]);

const Weight = Type.Integer({ minimum: 0, maximum: 1_000_000 });

export const InlineServerSpecSchema = Type.Object(
  { id: Id, url: HttpUrl, weight: Type.Optional(Weight), state: Type.Optional(ServerStateSchema) },
  { additionalProperties: false },
);

/** `P/servers/<backendId>/<serverId>`. */
export const ServerSpecSchema = Type.Object(
  { url: HttpUrl, weight: Type.Optional(Weight), state: Type.Optional(ServerStateSchema) },
  { additionalProperties: false },
);

export const RetryOnSchema = Type.String({
  pattern: '^(connect|reset|timeout|5xx|[1-5][0-9][0-9])$',
  description: 'connect | reset | timeout | 5xx | a status code',
});

export const BackendSpecSchema = Type.Object(
  {
    balancer: Type.Optional(
      Type.Union([Type.Literal('round-robin'), Type.Literal('least-request'), Type.Literal('ewma'), Type.Literal('hash')]),
    ),
    hashKey: Type.Optional(KeySource),
    servers: Type.Optional(Type.Array(InlineServerSpecSchema, { maxItems: 4096 })),
    timeouts: Type.Optional(
      Type.Object(
        { connectMs: Type.Optional(Millis()), headersMs: Type.Optional(Millis()), idleMs: Type.Optional(Millis()), bodyMs: Type.Optional(Millis()) },
        { additionalProperties: false },
      ),
    ),
    maxConnectionsPerServer: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_536 })),
    tls: Type.Optional(
      Type.Object(
        {
          ca: Type.Optional(Type.String({ minLength: 1, maxLength: 1_000_000, description: 'PEM certificates to trust instead of the system CAs' })),
          serverName: Type.Optional(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$' })),
          verify: Type.Optional(Type.Boolean()),
          clientCert: Type.Optional(Id),
        },
        { additionalProperties: false },
      ),
    ),
    healthCheck: Type.Optional(
      Type.Object(
        {
          path: Type.String({ pattern: '^/', maxLength: 2048 }),
          intervalMs: Type.Optional(Millis()),
          timeoutMs: Type.Optional(Millis()),
          healthy: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          unhealthy: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
    breaker: Type.Optional(
      Type.Object(
        {
          errorThresholdPercentage: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
          volumeThreshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
          resetTimeoutMs: Type.Optional(Millis()),
          windowMs: Type.Optional(Millis()),
        },
        { additionalProperties: false },
      ),
    ),
    retry: Type.Optional(
      Type.Object(
        {
          attempts: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 })),
          on: Type.Optional(Type.Array(RetryOnSchema, { maxItems: 32, uniqueItems: true })),
          budgetPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ServerState = Static<typeof ServerStateSchema>;
export type InlineServerSpec = Static<typeof InlineServerSpecSchema>;
export type ServerSpec = Static<typeof ServerSpecSchema>;
export type BackendSpec = Static<typeof BackendSpecSchema>;
