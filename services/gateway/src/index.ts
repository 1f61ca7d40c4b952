/** The gateway core: a resolved variant plus messages in, a validated answer or a GatewayError out. */
export {
  ChainExecutor,
  DEFAULT_CHAIN_OPTIONS,
  type ChainCallOptions,
  type ChainExecutorDeps,
  type ChainExecutorOptions,
  type ChainRequest,
  type ChainResult,
  type ChainStream,
  type ChainVariant,
} from './chain/chain-executor';
export { GatewayError, type ChainOutcome, type GatewayErrorCode } from './chain/gateway-error';
export { ModelCatalog, type ModelRoute } from './chain/model-catalog';
export type {
  FinishReason,
  LlmRequest,
  LlmResponse,
  LlmStreamEvent,
  OutputSchemaSpec,
} from './llm/llm.types';
export type {
  LlmProvider,
  ProviderCallOptions,
  ProviderContext,
  ProviderFactory,
} from './providers/llm-provider';
export { ProviderError, type ErrorClass } from './providers/provider-error';
export { loadProviderKinds, PROVIDER_KINDS } from './providers/provider-kinds';
export { ProviderRegistry, type ProviderRegistryOptions } from './providers/provider-registry';
export { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './resilience/backoff';
export {
  CircuitBreakers,
  DEFAULT_BREAKER,
  type BreakerOptions,
  type BreakerState,
} from './resilience/circuit-breakers';
export { mathRandom, type Random } from './runtime/random';
export { timerSleeper, type Sleeper } from './runtime/sleeper';
export { SchemaValidator, type CompiledSchema, type ValidationIssue } from './structured/schema-validator';

/** The service around the core: the NestJS app, its environment and its HTTP error mapping. */
export { createGatewayApp, SERVICE, type GatewayApp, type GatewayAppOptions } from './gateway-app';
export { parseGatewayEnv, GatewayEnvSchema, type GatewayEnv } from './env';
export { GATEWAY_ERROR_STATUS } from './http/gateway-errors';
export { DIRECT_VARIANT, type VariantFlags } from './rollout/rollout.service';
