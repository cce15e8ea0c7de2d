/**
 * Ids of routes, backends, servers and filters (docs/configuration.md). A module of its own, without the schema
 * library, so the CLI's client commands can check ids without loading TypeBox.
 */
export const ID_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,62}$';
export const ID_RE = new RegExp(ID_PATTERN);
