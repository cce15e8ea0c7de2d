export { createBalancer } from './create-balancer.js';
export { BalancerConfigError, type BalancerConfigErrorCode } from './errors.js';
export { hashKeyOf, parseHashKey, type HashKeySource } from './hash-key.js';
export { DEFAULT_DECAY_MS, DEFAULT_FAILURE_PENALTY_MS, ServerLoad, type ServerLoadOptions } from './server-load.js';
export {
  BALANCER_KINDS,
  type Balancer,
  type BalancerKind,
  type BalancerKindMatchesSchema,
  type BalancerOptions,
  type Pickable,
  type PickInput,
} from './types.js';
