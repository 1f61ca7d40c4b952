import type { FlagdCore } from '@openfeature/flagd-core';
import {
  OpenFeatureEventEmitter,
  type EvaluationContext,
  type JsonValue,
  type Logger,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';

/** The evaluation half of an OpenFeature provider. */
export type FlagResolver = Pick<
  Provider,
  | 'resolveBooleanEvaluation'
  | 'resolveStringEvaluation'
  | 'resolveNumberEvaluation'
  | 'resolveObjectEvaluation'
>;

/**
 * A server provider that evaluates with whichever resolver is active at the moment (a flag
 * source is swapped without the OpenFeature client noticing). `active()` throws (e.g.
 * ProviderNotReadyError) when there is none; the SDK turns that into the default value.
 */
export abstract class DelegatingProvider implements Provider {
  abstract readonly metadata: { readonly name: string };
  readonly runsOn = 'server' as const;
  /** holds a watcher or a connection: one domain per instance */
  readonly domainScoped = true;
  readonly events = new OpenFeatureEventEmitter();

  protected abstract active(): FlagResolver;

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<boolean>> {
    return this.active().resolveBooleanEvaluation(flagKey, defaultValue, context, logger);
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<string>> {
    return this.active().resolveStringEvaluation(flagKey, defaultValue, context, logger);
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<number>> {
    return this.active().resolveNumberEvaluation(flagKey, defaultValue, context, logger);
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    logger: Logger,
  ): Promise<ResolutionDetails<T>> {
    return this.active().resolveObjectEvaluation(flagKey, defaultValue, context, logger);
  }
}

/** flagd-core's in-memory evaluation as a resolver. */
export function coreResolver(core: FlagdCore): FlagResolver {
  return {
    resolveBooleanEvaluation: (key, value, context, logger) =>
      Promise.resolve(core.resolveBooleanEvaluation(key, value, context, logger)),
    resolveStringEvaluation: (key, value, context, logger) =>
      Promise.resolve(core.resolveStringEvaluation(key, value, context, logger)),
    resolveNumberEvaluation: (key, value, context, logger) =>
      Promise.resolve(core.resolveNumberEvaluation(key, value, context, logger)),
    resolveObjectEvaluation: <T extends JsonValue>(
      key: string,
      value: T,
      context: EvaluationContext,
      logger: Logger,
    ) => Promise.resolve(core.resolveObjectEvaluation(key, value, context, logger)),
  };
}
