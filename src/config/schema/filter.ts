import { Type, type Static } from '@sinclair/typebox';

export const FilterSpecSchema = Type.Object(
  {
    type: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$', description: 'the filter module type' }),
    config: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export type FilterSpec = Static<typeof FilterSpecSchema>;
