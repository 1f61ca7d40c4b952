import type { Clock } from '@flywheel/platform';
import { type ChatMessage, type LlmResponse, type LlmStreamEvent, ZERO_USAGE } from '../llm/llm.types';
import { ProviderError, toProviderError } from '../providers/provider-error';
import { AttemptScope } from '../resilience/attempt-scope';
import type { Backoff } from '../resilience/backoff';
import type { CircuitBreakers } from '../resilience/circuit-breakers';
import { isRetryable } from '../resilience/failure-policy';
import type { Sleeper } from '../runtime/sleeper';
import type { SchemaValidator } from '../structured/schema-validator';
import { checkOutput, nextStep, reaskMessages } from '../structured/structured-output';
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
import type { ModelCatalog, ModelRoute } from './model-catalog';

export type { ChainCallOptions, ChainRequest, ChainResult, ChainStream, ChainVariant } from './chain-run';

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
}

type CallResult =
  { ok: true; response: LlmResponse } | { ok: false; error: ProviderError; deadline: boolean };

type Opened =
  | { ok: true; iterator: AsyncIterator<LlmStreamEvent>; first: LlmStreamEvent }
  | { ok: false; error: ProviderError; deadline: boolean };

/**
 * Everything between a resolved variant plus messages and a validated answer or a typed
 * {@link GatewayError}: per-attempt timeouts and the overall deadline, retries with backoff,
 * a breaker per model, fallback along the chain, structured-output repair and re-asks, and
 * streaming with failover until the first token.
 */
export class ChainExecutor {
  private readonly prepared = new WeakMap<ChainVariant, PreparedVariant>();
  private readonly options: ChainExecutorOptions;

  constructor(
    private readonly deps: ChainExecutorDeps,
    options: Partial<ChainExecutorOptions> = {},
  ) {
    this.options = { ...DEFAULT_CHAIN_OPTIONS, ...options };
  }

  /**
   * Resolves a variant's models and compiles its schema now rather than on the first request;
   * throws GatewayError `unknown_model` or the schema's compile error. Results are cached.
   */
  prepare(variant: ChainVariant): void {
    this.prepareVariant(variant);
  }

  async complete(
    variant: ChainVariant,
    request: ChainRequest,
    options: ChainCallOptions = {},
  ): Promise<ChainResult> {
    const run = this.begin(variant, options);
    const { schema, maxReasks } = run.prepared;
    for (const model of run.prepared.models) {
      let messages = request.messages;
      let failures = 0;
      let reasks = 0;
      for (let tryNo = 1; ; tryNo++) {
        this.checkTime(run);
        const startedAt = this.deps.clock.now();
        const call = await this.callOnce(run, model, messages);
        if (!call.ok) {
          run.log.failed(model, tryNo, startedAt, this.deps.clock.now(), call.error);
          if (call.error.errorClass !== 'circuit_open') failures++;
          if ((await this.afterFailure(run, call, failures)) === 'retry') continue;
          break;
        }
        const { response } = call;
        if (!schema) {
          run.log.answered(model, tryNo, startedAt, this.deps.clock.now(), response.usage, { status: 'ok' });
          return this.result(run, model, response, false);
        }
        const check = await checkOutput(response, schema);
        const status = check.valid ? 'ok' : 'invalid_output';
        run.log.answered(model, tryNo, startedAt, this.deps.clock.now(), response.usage, {
          status,
          repaired: check.repaired,
        });
        if (check.valid) {
          return this.result(
            run,
            model,
            { ...response, text: check.text, json: check.value },
            check.repaired,
          );
        }
        run.lastInvalid = check.errors;
        run.lastRepaired = check.repaired;
        if (nextStep(check, reasks, maxReasks) !== 'reask') break;
        reasks++;
        run.reasks++;
        messages = [...messages, ...reaskMessages(response.text, check.errors)];
      }
    }
    throw run.exhausted();
  }

  stream(variant: ChainVariant, request: ChainRequest, options: ChainCallOptions = {}): ChainStream {
    let settle!: { resolve: (r: ChainResult) => void; reject: (e: unknown) => void };
    const result = new Promise<ChainResult>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => undefined); // a consumer that only iterates sees the error there
    const committed: { model: string | null } = { model: null };
    const deltas = this.streamDeltas(variant, request, options, settle, committed);
    return {
      [Symbol.asyncIterator]: () => deltas,
      result,
      get model() {
        return committed.model;
      },
    };
  }

  private async *streamDeltas(
    variant: ChainVariant,
    request: ChainRequest,
    options: ChainCallOptions,
    settle: { resolve: (r: ChainResult) => void; reject: (e: unknown) => void },
    committed: { model: string | null },
  ): AsyncGenerator<string, void, undefined> {
    let settled = false;
    let scope: AttemptScope | undefined;
    let iterator: AsyncIterator<LlmStreamEvent> | undefined;
    let live: { model: ModelRoute; tryNo: number; startedAt: number; parts: string[] } | undefined;
    let run: ChainRun | undefined;
    try {
      run = this.begin(variant, options);
      for (const model of run.prepared.models) {
        let failures = 0;
        for (let tryNo = 1; ; tryNo++) {
          this.checkTime(run);
          const startedAt = this.deps.clock.now();
          scope = new AttemptScope(run.signal);
          const firstTokenMs = variant.first_token_timeout_ms ?? variant.timeout_ms ?? model.timeoutMs;
          this.armTimer(run, scope, firstTokenMs);
          const opened = await this.openStream(run, model, request.messages, scope);
          if (!opened.ok) {
            scope.dispose();
            run.log.failed(model, tryNo, startedAt, this.deps.clock.now(), opened.error);
            if (opened.error.errorClass !== 'circuit_open') failures++;
            if ((await this.afterFailure(run, opened, failures)) === 'retry') continue;
            break;
          }
          // first token: committed to this model; only the deadline applies from here on
          scope.arm(run.deadline - this.deps.clock.now(), 'deadline');
          iterator = opened.iterator;
          live = { model, tryNo, startedAt, parts: [] };
          committed.model = model.id;
          let event = opened.first;
          while (event.type === 'delta') {
            live.parts.push(event.text);
            yield event.text;
            let next: IteratorResult<LlmStreamEvent>;
            try {
              next = await iterator.next();
            } catch (err) {
              throw this.truncated(run, live, scope.classify(err, this.deps.clock.now()));
            }
            if (next.done)
              throw this.truncated(run, live, new ProviderError('truncated', 'stream ended early'));
            event = next.value;
          }
          const text = live.parts.join('');
          const done = live;
          live = undefined;
          settle.resolve(await this.finishStream(run, done.model, done.tryNo, done.startedAt, text, event));
          settled = true;
          return;
        }
      }
      throw run.exhausted();
    } catch (err) {
      settled = true;
      settle.reject(err);
      throw err;
    } finally {
      if (!settled) {
        // the consumer stopped iterating early: abort upstream and record why
        scope?.cancel();
        const error = new ProviderError('cancelled', 'the consumer stopped reading the stream');
        if (run && live) {
          run.log.failed(live.model, live.tryNo, live.startedAt, this.deps.clock.now(), error);
        }
        settle.reject(
          run
            ? new GatewayError(
                'cancelled',
                error.message,
                run.outcome(live?.model.id ?? null, live?.parts.join('')),
              )
            : error,
        );
      }
      scope?.dispose();
      void iterator?.return?.().catch(() => undefined);
    }
  }

  /** The final record of a stream that ran to its end; throws if its output fails the schema. */
  private async finishStream(
    run: ChainRun,
    model: ModelRoute,
    tryNo: number,
    startedAt: number,
    text: string,
    done: Extract<LlmStreamEvent, { type: 'done' }>,
  ): Promise<ChainResult> {
    const now = this.deps.clock.now();
    const response: LlmResponse = {
      text,
      usage: done.usage ?? ZERO_USAGE,
      finish_reason: done.finish_reason,
    };
    const schema = run.prepared.schema;
    if (!schema) {
      run.log.answered(model, tryNo, startedAt, now, done.usage, { status: 'ok' });
      return this.result(run, model, response, false);
    }
    // streamed tokens cannot be taken back: no re-ask, but output that fails is never "valid"
    const check = await checkOutput(response, schema);
    run.log.answered(model, tryNo, startedAt, now, done.usage, {
      status: check.valid ? 'ok' : 'invalid_output',
      repaired: check.repaired,
    });
    if (!check.valid) {
      run.lastInvalid = check.errors;
      run.lastRepaired = check.repaired;
      throw run.error('structured_output_invalid', 'the streamed output does not match the output schema');
    }
    return this.result(run, model, { ...response, text: check.text, json: check.value }, check.repaired);
  }

  private truncated(
    run: ChainRun,
    live: { model: ModelRoute; tryNo: number; startedAt: number; parts: string[] },
    error: ProviderError,
  ): GatewayError {
    const now = this.deps.clock.now();
    const cancelled = error.errorClass === 'cancelled';
    const recorded =
      cancelled || error.errorClass === 'timeout'
        ? error
        : new ProviderError('truncated', error.message, error.httpStatus, undefined, { cause: error });
    run.log.failed(live.model, live.tryNo, live.startedAt, now, recorded, cancelled ? 'error' : 'truncated');
    const outcome = run.outcome(live.model.id, live.parts.join(''));
    return cancelled
      ? new GatewayError('cancelled', 'the caller cancelled the request', outcome, undefined, error)
      : new GatewayError(
          'truncated',
          `the stream from ${live.model.id} broke after it started`,
          outcome,
          undefined,
          error,
        );
  }

  private begin(variant: ChainVariant, options: ChainCallOptions): ChainRun {
    const prepared = this.prepareVariant(variant);
    const now = this.deps.clock.now();
    const own = now + (variant.deadline_ms ?? this.options.defaultDeadlineMs);
    const deadline = options.deadline === undefined ? own : Math.min(own, options.deadline);
    return new ChainRun(variant, prepared, options.signal, now, deadline);
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
    const schema = variant.output_schema ? this.deps.validator.get(variant.output_schema) : undefined;
    const maxReasks = variant.repair?.reask ?? this.options.defaultReasks;
    prepared = { models, schema, maxReasks };
    this.prepared.set(variant, prepared);
    return prepared;
  }

  private checkTime(run: ChainRun): void {
    if (run.signal?.aborted) throw run.error('cancelled', 'the caller cancelled the request');
    if (this.deps.clock.now() >= run.deadline)
      throw run.error('deadline_exceeded', 'the chain ran out of time');
  }

  /** Arms `scope` with `timeoutMs`, or with what is left before the deadline if that is sooner. */
  private armTimer(run: ChainRun, scope: AttemptScope, timeoutMs: number): void {
    const remaining = run.deadline - this.deps.clock.now();
    if (timeoutMs < remaining) scope.arm(timeoutMs, 'timeout');
    else scope.arm(remaining, 'deadline');
  }

  /** One non-streamed upstream call through the model's breaker, under the attempt timeout. */
  private async callOnce(
    run: ChainRun,
    model: ModelRoute,
    messages: readonly ChatMessage[],
  ): Promise<CallResult> {
    const scope = new AttemptScope(run.signal);
    this.armTimer(run, scope, run.variant.timeout_ms ?? model.timeoutMs);
    const request = run.request(model, messages);
    try {
      const response = await this.deps.breakers.execute(model.id, async () => {
        try {
          return await model.provider.complete(request, { signal: scope.signal });
        } catch (err) {
          throw scope.classify(err, this.deps.clock.now());
        }
      });
      return { ok: true, response };
    } catch (err) {
      return {
        ok: false,
        error: toProviderError(err, this.deps.clock.now()),
        deadline: scope.cause === 'deadline',
      };
    } finally {
      scope.dispose();
    }
  }

  /** Opens a stream through the model's breaker and waits for its first token (or its end). */
  private async openStream(
    run: ChainRun,
    model: ModelRoute,
    messages: readonly ChatMessage[],
    scope: AttemptScope,
  ): Promise<Opened> {
    const request = run.request(model, messages);
    try {
      return await this.deps.breakers.execute(model.id, async () => {
        try {
          const iterator = model.provider.stream(request, { signal: scope.signal })[Symbol.asyncIterator]();
          const first = await iterator.next();
          if (first.done) throw new ProviderError('network', 'stream ended before its first event');
          return { ok: true as const, iterator, first: first.value };
        } catch (err) {
          throw scope.classify(err, this.deps.clock.now());
        }
      });
    } catch (err) {
      return {
        ok: false,
        error: toProviderError(err, this.deps.clock.now()),
        deadline: scope.cause === 'deadline',
      };
    }
  }

  /**
   * The fallback decision after a failed call: stop the chain (cancelled, deadline), wait and
   * retry the same model (retryable, tries left, backoff fits the deadline), or move on.
   */
  private async afterFailure(
    run: ChainRun,
    failure: { error: ProviderError; deadline: boolean },
    failures: number,
  ): Promise<'retry' | 'next_model'> {
    const { error } = failure;
    if (error.errorClass === 'cancelled')
      throw run.error('cancelled', 'the caller cancelled the request', error);
    if (failure.deadline) throw run.error('deadline_exceeded', 'the chain ran out of time', error);
    if (!isRetryable(error.errorClass) || failures >= this.options.maxAttemptsPerModel) return 'next_model';
    const delay = this.deps.backoff.delayMs(failures, error.retryAfterMs);
    if (delay === undefined || this.deps.clock.now() + delay >= run.deadline) return 'next_model';
    try {
      await this.deps.sleeper.sleep(delay, run.signal);
    } catch (err) {
      if (run.signal?.aborted) throw run.error('cancelled', 'the caller cancelled the request', err);
      throw err;
    }
    return 'retry';
  }

  private result(run: ChainRun, model: ModelRoute, response: LlmResponse, repaired: boolean): ChainResult {
    return {
      response,
      attempts: run.log.attempts,
      validation: run.validation(true, repaired),
      final_model: model.id,
      usage: run.log.usage,
      cost_usd: run.log.costUsd,
      latency_ms: this.deps.clock.now() - run.startedAt,
    };
  }
}
