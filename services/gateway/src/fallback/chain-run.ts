import type { Attempt, ValidationResult } from '@flywheel/contracts';
import type { VariantConfig } from '../config.types';
import type { ChatMessage, LlmRequest, LlmResponse, Usage } from '../llm/llm.types';
import type { CompiledSchema, ValidationIssue } from '../structured/schema-validator';
import { AttemptLog } from './attempt-log';
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
  /** The conversation, already flattened to text and filtered by the transport. */
  messages: readonly ChatMessage[];
}

export interface ChainCallOptions {
  /** Aborts everything, upstream calls included (client disconnect). */
  signal?: AbortSignal;
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

/** Text deltas of the answer; `result` settles when iteration ends (rejects with the same GatewayError). */
export interface ChainStream extends AsyncIterable<string> {
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
  schema: CompiledSchema | undefined;
  maxReasks: number;
}

/** One call's state: the attempt log, the deadline, what validation saw. */
export class ChainRun {
  readonly log = new AttemptLog();
  reasks = 0;
  lastInvalid: ValidationIssue[] | undefined;
  lastRepaired = false;

  constructor(
    readonly variant: ChainVariant,
    readonly prepared: PreparedVariant,
    readonly signal: AbortSignal | undefined,
    readonly startedAt: number,
    readonly deadline: number,
  ) {}

  request(model: ModelRoute, messages: readonly ChatMessage[]): LlmRequest {
    const v = this.variant;
    return {
      model: model.model,
      messages,
      system: v.system,
      temperature: v.temperature,
      max_tokens: v.max_tokens,
      output_schema: this.prepared.schema?.spec,
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
