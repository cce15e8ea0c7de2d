import { Type, type Static } from '@sinclair/typebox';
import { CookieName, HeaderName, Id, KeySource, Method, Millis } from './common.js';

const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$';

export const MatchSpecSchema = Type.Object(
  {
    host: Type.Optional(Type.String({ pattern: HOST_PATTERN, maxLength: 253, description: 'exact host or *.example.com' })),
    pathPrefix: Type.Optional(Type.String({ pattern: '^/', maxLength: 2048 })),
    path: Type.Optional(Type.String({ pattern: '^/', maxLength: 2048 })),
    pathRegex: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    methods: Type.Optional(Type.Array(Method, { minItems: 1, maxItems: 32, uniqueItems: true })),
    headers: Type.Optional(Type.Record(HeaderName, Type.String({ maxLength: 4096 }), { maxProperties: 32 })),
  },
  { additionalProperties: false },
);

export const SplitEntrySchema = Type.Object(
  { backend: Id, weight: Type.Integer({ minimum: 0, maximum: 1_000_000 }) },
  { additionalProperties: false },
);

export const StickySpecSchema = Type.Union([
  Type.Object({ cookie: CookieName }, { additionalProperties: false }),
  Type.Object({ header: HeaderName }, { additionalProperties: false }),
]);

export const ForceSpecSchema = Type.Object(
  { header: Type.Optional(HeaderName), cookie: Type.Optional(CookieName) },
  { additionalProperties: false, minProperties: 1 },
);

export const GuardSpecSchema = Type.Object(
  {
    maxErrorRate: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
    minRequests: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    windowMs: Millis(),
  },
  { additionalProperties: false },
);

export const TeeSpecSchema = Type.Object(
  {
    backend: Id,
    percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    sampleKey: Type.Optional(KeySource),
    methods: Type.Optional(Type.Array(Method, { minItems: 1, maxItems: 32, uniqueItems: true })),
    maxBodyBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 << 30 })),
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    maxRps: Type.Optional(Type.Number({ minimum: 0 })),
    timeoutMs: Type.Optional(Millis(600_000)),
    headers: Type.Optional(
      Type.Object(
        {
          set: Type.Optional(Type.Record(HeaderName, Type.String({ maxLength: 8192 }))),
          remove: Type.Optional(Type.Array(HeaderName)),
        },
        { additionalProperties: false },
      ),
    ),
    compare: Type.Optional(Type.Boolean()),
    /** with compare: the response headers compared besides status and body hash (default content-type) */
    compareHeaders: Type.Optional(Type.Array(HeaderName, { maxItems: 32, uniqueItems: true })),
  },
  { additionalProperties: false },
);

export const RouteSpecSchema = Type.Object(
  {
    match: Type.Optional(MatchSpecSchema),
    priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
    backend: Type.Optional(Id),
    split: Type.Optional(Type.Array(SplitEntrySchema, { minItems: 1, maxItems: 64 })),
    sticky: Type.Optional(StickySpecSchema),
    force: Type.Optional(ForceSpecSchema),
    guard: Type.Optional(GuardSpecSchema),
    tee: Type.Optional(Type.Array(TeeSpecSchema, { maxItems: 16 })),
    filters: Type.Optional(Type.Array(Id, { maxItems: 64 })),
  },
  { additionalProperties: false },
);

export type MatchSpec = Static<typeof MatchSpecSchema>;
export type SplitEntrySpec = Static<typeof SplitEntrySchema>;
export type StickySpec = Static<typeof StickySpecSchema>;
export type ForceSpec = Static<typeof ForceSpecSchema>;
export type GuardSpec = Static<typeof GuardSpecSchema>;
export type TeeSpec = Static<typeof TeeSpecSchema>;
export type RouteSpec = Static<typeof RouteSpecSchema>;
