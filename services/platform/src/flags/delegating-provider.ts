import { FlagdCore } from '@openfeature/flagd-core';
import {
  OpenFeatureEventEmitter,
  type EvaluationContext,
  type JsonValue,
  type Logger,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';

/**
 * The evaluation half of an OpenFeature provider, synchronous: flagd-core's in-memory evaluation.
 * `logger` unset: the resolver's own.
 */
export interface FlagResolver {
  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
    logger?: Logger,
  ): ResolutionDetails<boolean>;
  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
    logger?: Logger,
  ): ResolutionDetails<string>;
  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
    logger?: Logger,
  ): ResolutionDetails<number>;
  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    logger?: Logger,
  ): ResolutionDetails<T>;
}

/**
 * A server provider that evaluates with whichever resolver is active at the moment (a flag
 * source is swapped without the OpenFeature client noticing). `resolver()` throws (e.g.
 * ProviderNotReadyError) when there is none; the SDK turns that into the default value.
 */
export abstract class DelegatingProvider implements Provider {
  abstract readonly metadata: { readonly name: string };
  readonly runsOn = 'server' as const;
  /** holds a watcher or a connection: one domain per instance */
  readonly domainScoped = true;
  readonly events = new OpenFeatureEventEmitter();

  /** The resolver in force now (synchronous: FlagService's fast path evaluates through it). */
  abstract resolver(): FlagResolver;

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<boolean>> {
    return Promise.resolve(this.resolver().resolveBooleanEvaluation(flagKey, defaultValue, context, logger));
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<string>> {
    return Promise.resolve(this.resolver().resolveStringEvaluation(flagKey, defaultValue, context, logger));
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<number>> {
    return Promise.resolve(this.resolver().resolveNumberEvaluation(flagKey, defaultValue, context, logger));
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<T>> {
    return Promise.resolve(this.resolver().resolveObjectEvaluation(flagKey, defaultValue, context, logger));
  }
}

/** A flagd-core evaluator (a FlagResolver) that logs through `logger` (targeting errors, invalid flags). */
export function flagdCore(logger: Pick<Console, 'warn'>): FlagdCore {
  return new FlagdCore(undefined, {
    error: (...args: unknown[]) => logger.warn('flagd:', ...args),
    warn: (...args: unknown[]) => logger.warn('flagd:', ...args),
    info: () => undefined,
    debug: () => undefined,
  });
}
