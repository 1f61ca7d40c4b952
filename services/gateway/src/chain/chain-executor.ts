import type { Clock } from '@flywheel/platform';
import {
  type ChatMessage,
  type EmbeddingRequest,
  type EmbeddingResponse,
  type LlmResponse,
  ZERO_USAGE,
} from '../llm/llm.types';
import type { RequestField } from '../providers/llm-provider';
import { ProviderError, toProviderError } from '../providers/provider-error';
import { AttemptScope } from '../resilience/attempt-scope';
import type { Backoff } from '../resilience/backoff';
import type { CircuitBreakers } from '../resilience/circuit-breakers';
import type { Sleeper } from '../runtime/sleeper';
import type { SchemaValidator } from '../structured/schema-validator';
import { checkOutput } from '../structured/structured-output';
import type { AttemptInfo, AttemptObserver } from './attempt-log';
import { AttemptLoop, type AttemptOutcome } from './attempt-loop';
import { streamChain } from './chain-stream';
import {
  type ChainCallOptions,
  type ChainRequest,
  type ChainResult,
  ChainRun,
  type ChainStream,
  type ChainVariant,
  type PreparedVariant,
} from './chain-run';
import { type ChainOutcome, GatewayError } from './gateway-error';
import type { ModelCatalog } from './model-catalog';

export type { ChainCallOptions, ChainRequest, ChainResult, ChainStream, ChainVariant } from './chain-run';

/** What an embeddings call asks, besides the model. */
export type EmbeddingInput = Omit<EmbeddingRequest, 'model'>;

export interface EmbeddingResult extends ChainResult {
  /** one vector per input, in input order */
  vectors: number[][];
}

export interface ChainExecutorOptions {
  /** Tries per model for retryable failures (429, 5xx, network). Default 3. */
  maxAttemptsPerModel: number;
  /** Deadline when neither the caller nor the variant sets one. Default 120 s. */
  defaultDeadlineMs: number;
  /** Re-asks per model when the variant has an output_schema but no `repair`. Default 1. */
  defaultReasks: number;
}

export const DEFAULT_CHAIN_OPTIONS: ChainExecutorOptions = {
  maxAttemptsPerModel: 3,
  defaultDeadlineMs: 120_000,
  defaultReasks: 1,
};

export interface ChainExecutorDeps {
  catalog: ModelCatalog;
  breakers: CircuitBreakers;
  backoff: Backoff;
  validator: SchemaValidator;
  clock: Clock;
  sleeper: Sleeper;
  /** Told about every attempt of every run, after the run's own attempt log (metrics, traces). */
  observers?: readonly AttemptObserver[];
}

/**
 * Everything between a resolved variant plus messages and a validated answer or a typed
 * {@link GatewayError}: per-attempt timeouts and the overall deadline, retries with backoff,
 * a breaker per model, fallback along the chain ({@link AttemptLoop}), structured-output repair
 * and re-asks, and streaming with failover until the first token (`chain-stream.ts`).
 */
export class ChainExecutor {
  private readonly prepared = new WeakMap<ChainVariant, PreparedVariant>();
  private readonly options: ChainExecutorOptions;
  private readonly loop: AttemptLoop;

  constructor(
    private readonly deps: ChainExecutorDeps,
    options: Partial<ChainExecutorOptions> = {},
  ) {
    this.options = { ...DEFAULT_CHAIN_OPTIONS, ...options };
    this.loop = new AttemptLoop(deps, this.options.maxAttemptsPerModel);
  }

  /**
   * Resolves a variant's models and compiles its schema now rather than on the first request;
   * throws GatewayError `unknown_model` or the schema's compile error. Results are cached.
   */
  prepare(variant: ChainVariant): void {
    this.prepareVariant(variant);
  }

  /** The first model of `variant` whose provider cannot take the client's `field` = `value`, and why. */
  refusal(
    variant: ChainVariant,
    field: RequestField,
    value: unknown,
  ): { model: string; reason: string } | undefined {
    for (const model of this.prepareVariant(variant).models) {
      const reason = model.provider.refusal?.(field, value);
      if (reason !== undefined) return { model: model.id, reason };
    }
    return undefined;
  }

  /** Whether `variant` is a chain of embedding models (else chat models). */
  isEmbedding(variant: ChainVariant): boolean {
    return this.prepareVariant(variant).embedding;
  }

  /**
   * Vectors for `input` through the chain: the same breakers, retries, timeouts, deadline and
   * fallback as a chat answer. The result's `response` is empty (`text: ""`); the vectors are
   * in `vectors`.
   */
  async embed(
    variant: ChainVariant,
    request: ChainRequest & { embedding: EmbeddingInput },
    options: ChainCallOptions = {},
  ): Promise<EmbeddingResult> {
    const run = this.begin(variant, request, options);
    const { model, value } = await this.loop.run(run, (info) => this.embedOnce(run, info, request.embedding));
    const response: LlmResponse = { text: '', usage: value.usage, finish_reason: 'stop' };
    return { ...run.result(model, response, false, this.deps.clock.now()), vectors: value.vectors };
  }

  async complete(
    variant: ChainVariant,
    request: ChainRequest,
    options: ChainCallOptions = {},
  ): Promise<ChainResult> {
    const run = this.begin(variant, request, options);
    const { model, value } = await this.loop.run(run, (info, messages) => this.callOnce(run, info, messages));
    return run.result(model, value.response, value.repaired, this.deps.clock.now());
  }

  stream(variant: ChainVariant, request: ChainRequest, options: ChainCallOptions = {}): ChainStream {
    return streamChain(this.deps, this.loop, () => this.begin(variant, request, options));
  }

  private begin(variant: ChainVariant, request: ChainRequest, options: ChainCallOptions): ChainRun {
    const prepared = this.prepareVariant(variant);
    const now = this.deps.clock.now();
    const own = now + (variant.deadline_ms ?? this.options.defaultDeadlineMs);
    const deadline = options.deadline === undefined ? own : Math.min(own, options.deadline);
    return new ChainRun(variant, prepared, request, options.signal, now, deadline, this.deps.observers);
  }

  private prepareVariant(variant: ChainVariant): PreparedVariant {
    let prepared = this.prepared.get(variant);
    if (prepared) return prepared;
    const models = variant.chain.map((id) => {
      const model = this.deps.catalog.get(id);
      if (!model) {
        const outcome: ChainOutcome = {
          attempts: [],
          validation: {
            schema: variant.output_schema !== undefined,
            valid: false,
            repaired: false,
            reasks: 0,
          },
          usage: ZERO_USAGE,
          cost_usd: 0,
          final_model: null,
        };
        throw new GatewayError('unknown_model', `unknown model "${id}"`, outcome);
      }
      return model;
    });
    const embedding = models.some((m) => m.embedding);
    if (embedding && models.some((m) => !m.embedding)) {
      const names = (e: boolean) =>
        models
          .filter((m) => m.embedding === e)
          .map((m) => m.id)
          .join(', ');
      throw new Error(`chain mixes embedding models (${names(true)}) with chat models (${names(false)})`);
    }
    if (embedding && variant.output_schema !== undefined)
      throw new Error('an output_schema needs chat models, not embedding models');
    const schema = variant.output_schema ? this.deps.validator.get(variant.output_schema) : undefined;
    const maxReasks = variant.repair?.reask ?? this.options.defaultReasks;
    prepared = { models, embedding, schema, maxReasks };
    this.prepared.set(variant, prepared);
    return prepared;
  }

  /** One embeddings call through the model's breaker, under the attempt timeout. */
  private async embedOnce(
    run: ChainRun,
    { model }: AttemptInfo,
    input: EmbeddingInput,
  ): Promise<AttemptOutcome<EmbeddingResponse>> {
    const scope = new AttemptScope(run.signal);
    run.armTimer(scope, run.variant.timeout_ms ?? model.timeoutMs, this.deps.clock.now());
    const embed = model.provider.embed?.bind(model.provider);
    try {
      const response = await this.deps.breakers.execute(model.id, async () => {
        try {
          if (embed === undefined)
            throw new ProviderError('bad_request', `model ${model.id} has no embeddings API`);
          return await embed({ ...input, model: model.model }, { signal: scope.signal });
        } catch (err) {
          throw scope.classify(err, this.deps.clock.now());
        }
      });
      return { kind: 'answered', value: response, usage: response.usage };
    } catch (err) {
      const error = toProviderError(err, this.deps.clock.now());
      return { kind: 'failed', error, deadline: scope.cause === 'deadline' };
    } finally {
      scope.dispose();
    }
  }

  /** One non-streamed upstream call through the model's breaker, under the attempt timeout, checked against the schema. */
  private async callOnce(
    run: ChainRun,
    { model }: AttemptInfo,
    messages: readonly ChatMessage[],
  ): Promise<AttemptOutcome<{ response: LlmResponse; repaired: boolean }>> {
    const scope = new AttemptScope(run.signal);
    run.armTimer(scope, run.variant.timeout_ms ?? model.timeoutMs, this.deps.clock.now());
    const request = run.request(model, messages);
    let response: LlmResponse;
    try {
      response = await this.deps.breakers.execute(model.id, async () => {
        try {
          return await model.provider.complete(request, { signal: scope.signal });
        } catch (err) {
          throw scope.classify(err, this.deps.clock.now());
        }
      });
    } catch (err) {
      const error = toProviderError(err, this.deps.clock.now());
      return { kind: 'failed', error, deadline: scope.cause === 'deadline' };
    } finally {
      scope.dispose();
    }
    const schema = run.prepared.schema;
    // a call of the client's tools is not the final answer: the schema applies to the one after it
    if (!schema || response.tool_calls !== undefined) {
      return { kind: 'answered', value: { response, repaired: false }, usage: response.usage };
    }
    const check = await checkOutput(response, schema);
    if (!check.valid) return { kind: 'invalid', usage: response.usage, output: response.text, check };
    const value = {
      response: { ...response, text: check.text, json: check.value },
      repaired: check.repaired,
    };
    return { kind: 'answered', value, usage: response.usage, repaired: check.repaired };
  }
}
