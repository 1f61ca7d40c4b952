import type { Attempt, ValidationResult } from '@flywheel/contracts';
import type { VariantConfig } from '../config.types';
import type { Attempt as AttemptRecord, AttemptStatus } from '@flywheel/contracts';
import type {
  ChatMessage,
  LlmDelta,
  LlmRequest,
  LlmResponse,
  SamplingParams,
  ToolChoice,
  ToolSpec,
  Usage,
} from '../llm/llm.types';
import type { AttemptScope } from '../resilience/attempt-scope';
import type { CancelSignal } from '../resilience/cancel-signal';
import type { ProviderError } from '../providers/provider-error';
import type { CompiledSchema, ValidationIssue } from '../structured/schema-validator';
import { type Answered, type AttemptInfo, AttemptLog, type AttemptObserver } from './attempt-log';
import { type ChainOutcome, GatewayError, type GatewayErrorCode } from './gateway-error';
import type { ModelRoute } from './model-catalog';

/**
 * The chain's public shapes, and the state of one call (ChainRun): attempt log, deadline,
 * what validation saw, and the error or record it ends with.
 */

/** The parts of a variant the chain uses (a direct model call is a one-model chain). */
export type ChainVariant = Pick<
  VariantConfig,
  | 'chain'
  | 'system'
  | 'temperature'
  | 'max_tokens'
  | 'output_schema'
  | 'repair'
  | 'timeout_ms'
  | 'first_token_timeout_ms'
  | 'deadline_ms'
>;

export interface ChainRequest {
  /** The conversation, filtered by the transport. */
  messages: readonly ChatMessage[];
  /** The client's functions, passed to every model of the chain. */
  tools?: readonly ToolSpec[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  /** JSON mode without a schema (`response_format: {type: "json_object"}`). */
  json_object?: boolean;
  /** A direct call's sampling parameters (a route's variant sets its own). */
  params?: SamplingParams;
}

export interface ChainCallOptions {
  /** Aborts everything, upstream calls included (client disconnect). */
  signal?: CancelSignal;
  /** Absolute deadline, epoch ms on the executor's clock; the variant's `deadline_ms` also applies. */
  deadline?: number;
}

export interface ChainResult {
  /** The answer; with an output schema, `text` is the validated JSON text and `json` its value. */
  response: LlmResponse;
  attempts: Attempt[];
  validation: ValidationResult;
  /** The model id that answered. */
  final_model: string;
  /** Summed over every attempt that reported usage (re-asks and failed validations cost too). */
  usage: Usage;
  cost_usd: number;
  latency_ms: number;
}

/** Text and tool-call deltas of the answer; `result` settles when iteration ends (rejects with the same GatewayError). */
export interface ChainStream extends AsyncIterable<LlmDelta> {
  readonly result: Promise<ChainResult>;
  /**
   * The model id the stream is committed to: set just before its first delta is yielded (so a
   * transport can name the model in headers sent with the first byte); null until then.
   */
  readonly model: string | null;
}

/** A variant resolved once (cached by object identity): its models and compiled schema. */
export interface PreparedVariant {
  models: readonly ModelRoute[];
  /** every model is an embedding model (a chain is all embedding models or none) */
  embedding: boolean;
  schema: CompiledSchema | undefined;
  maxReasks: number;
}

/** One call's state: the attempt observers, the deadline, what validation saw. */
export class ChainRun implements AttemptObserver {
  readonly log = new AttemptLog();
  private readonly observers: readonly AttemptObserver[];
  reasks = 0;
  lastInvalid: ValidationIssue[] | undefined;
  lastRepaired = false;

  constructor(
    readonly variant: ChainVariant,
    readonly prepared: PreparedVariant,
    readonly chainRequest: ChainRequest,
    readonly signal: CancelSignal | undefined,
    readonly startedAt: number,
    readonly deadline: number,
    observers: readonly AttemptObserver[] = [],
  ) {
    this.observers = [this.log, ...observers];
  }

  get attempts(): AttemptRecord[] {
    return this.log.attempts;
  }

  answered(info: AttemptInfo, now: number, usage: Usage | undefined, outcome: Answered): void {
    for (const o of this.observers) o.answered(info, now, usage, outcome);
  }

  failed(info: AttemptInfo, now: number, error: ProviderError, status?: AttemptStatus, usage?: Usage): void {
    for (const o of this.observers) o.failed(info, now, error, status, usage);
  }

  /** Arms `scope` with `timeoutMs`, or with what is left before the deadline if that is sooner. */
  armTimer(scope: AttemptScope, timeoutMs: number, now: number): void {
    const remaining = this.deadline - now;
    if (timeoutMs < remaining) scope.arm(timeoutMs, 'timeout');
    else scope.arm(remaining, 'deadline');
  }

  request(model: ModelRoute, messages: readonly ChatMessage[]): LlmRequest {
    const v = this.variant;
    const r = this.chainRequest;
    const request: LlmRequest = {
      model: model.model,
      messages,
      system: v.system,
      temperature: v.temperature,
      max_tokens: v.max_tokens,
      output_schema: this.prepared.schema?.spec,
    };
    if (r.tools !== undefined) request.tools = r.tools;
    if (r.tool_choice !== undefined) request.tool_choice = r.tool_choice;
    if (r.parallel_tool_calls !== undefined) request.parallel_tool_calls = r.parallel_tool_calls;
    if (r.json_object === true && request.output_schema === undefined) request.json_object = true;
    if (r.params !== undefined) request.params = r.params;
    return request;
  }

  result(model: ModelRoute, response: LlmResponse, repaired: boolean, now: number): ChainResult {
    return {
      response,
      attempts: this.log.attempts,
      validation: this.validation(true, repaired),
      final_model: model.id,
      usage: this.log.usage,
      cost_usd: this.log.costUsd,
      latency_ms: now - this.startedAt,
    };
  }
  validation(valid: boolean, repaired = this.lastRepaired): ValidationResult {
    const result: ValidationResult = {
      schema: this.prepared.schema !== undefined,
      valid,
      repaired,
      reasks: this.reasks,
    };
    if (!valid && this.lastInvalid) result.errors = this.lastInvalid;
    return result;
  }

  outcome(finalModel: string | null = null, partialOutput?: string): ChainOutcome {
    const outcome: ChainOutcome = {
      attempts: this.log.attempts,
      validation: this.validation(false),
      usage: this.log.usage,
      cost_usd: this.log.costUsd,
      final_model: finalModel,
    };
    if (partialOutput !== undefined) outcome.partial_output = partialOutput;
    return outcome;
  }

  error(code: GatewayErrorCode, message: string, cause?: unknown): GatewayError {
    const errors = code === 'structured_output_invalid' ? this.lastInvalid : undefined;
    return new GatewayError(code, message, this.outcome(), errors, cause);
  }

  /** The error once every model of the chain has been tried. */
  exhausted(): GatewayError {
    if (this.lastInvalid) {
      return this.error(
        'structured_output_invalid',
        'no model produced output that matches the output schema',
      );
    }
    const upstream = this.log.attempts.filter((a) => a.status !== 'circuit_open');
    if (upstream.length > 0 && upstream.every((a) => a.error_class === 'bad_request')) {
      return this.error('upstream_rejected', 'every model rejected the request as invalid');
    }
    return this.error('upstream_unavailable', 'no model in the chain could answer');
  }
}
