import { randomUUID } from 'node:crypto';
import type { ChatMessage, InteractionEvent, ValidationResult } from '@flywheel/contracts';
import {
  activeTraceRef,
  type Clock,
  type FeedbackTokenClaims,
  mintTrustedFeedbackToken,
  recordFlagEvaluation,
  subjectHash,
} from '@flywheel/platform';
import type {
  ChainExecutor,
  ChainRequest,
  ChainResult,
  ChainStream,
  EmbeddingInput,
  EmbeddingResult,
} from '../chain/chain-executor';
import { type ChainOutcome, GatewayError } from '../chain/gateway-error';
import { type AnswerGuard, GuardrailError, type GuardrailName } from '../guardrails/answer-guard';
import type { Caller } from '../http/caller';
import { ZERO_USAGE } from '../llm/llm.types';
import type { CancelSignal } from '../resilience/cancel-signal';
import type { Assignment } from '../rollout/rollout.service';
import type { GatewayMetrics } from './gateway.metrics';
import type { InteractionEvents } from './interaction-events';

/** What the caller asked, as the model sees it (and as the event records it): messages, tools, parameters. */
export interface InteractionRequest extends ChainRequest {
  messages: ChatMessage[];
  /** an embeddings request: its inputs are also `messages`, one user message each */
  embedding?: EmbeddingInput;
  /** template variables of an invoke with `input` */
  input?: Record<string, unknown>;
  stream: boolean;
}

/** One routed request, from its assignment to its event. */
export interface Interaction {
  readonly id: string;
  readonly assignment: Assignment;
  readonly caller: Caller;
  readonly request: InteractionRequest;
  readonly subjectHash: string;
  /** the credential for feedback on this answer */
  readonly feedbackToken: string;
  /** epoch ms */
  readonly startedAt: number;
}

export interface FeedbackTokenOptions {
  /** FLYWHEEL_FEEDBACK_SECRET */
  secret: string;
  /** `feedback.token_ttl_s` */
  ttlS: number;
}

const NO_VALIDATION: ValidationResult = Object.freeze({
  schema: false,
  valid: false,
  repaired: false,
  reasks: 0,
});
const MAX_TRACE_ID = 64;
/** `feature_flag.provider.name` of the route flags (OpenFeature's flagd provider, in-process) */
const FLAG_PROVIDER = 'flagd';

/**
 * Runs an interaction through the chain executor and records it: every outcome (answer, chain
 * failure, truncated or cancelled stream) becomes one InteractionEvent, durable before the
 * answer is handed back, plus the gateway metrics. Knows nothing about HTTP.
 */
export class InteractionService {
  constructor(
    private readonly executor: ChainExecutor,
    private readonly events: InteractionEvents,
    private readonly metrics: GatewayMetrics,
    private readonly tokens: FeedbackTokenOptions,
    private readonly clock: Clock,
    /** the variants' prompt-injection guardrails (none when absent) */
    private readonly guard?: AnswerGuard,
  ) {}

  /** Names the interaction and mints its feedback token; nothing runs yet. */
  begin(assignment: Assignment, caller: Caller, request: InteractionRequest): Interaction {
    const id = randomUUID();
    const startedAt = this.clock.now();
    const sub = subjectHash(caller.targetingKey, this.tokens.secret);
    const claims: FeedbackTokenClaims = {
      interaction_id: id,
      route: assignment.route,
      variant: assignment.variant,
      sub,
      exp: Math.floor(startedAt / 1000) + this.tokens.ttlS,
    };
    // with tracing on, the vote on this answer is recorded in this request's trace
    const trace = activeTraceRef();
    if (trace !== undefined) claims.trace = trace;
    // built here from trusted values (see mintTrustedFeedbackToken): not parsed again
    const feedbackToken = mintTrustedFeedbackToken(claims, this.tokens.secret);
    if (assignment.flagKey !== undefined) {
      recordFlagEvaluation({
        key: assignment.flagKey,
        provider: FLAG_PROVIDER,
        variant: assignment.variant,
        reason: assignment.reason,
        contextId: sub,
        ...(assignment.flagError !== undefined && { error: assignment.flagError }),
      });
    }
    return { id, assignment, caller, request, subjectHash: sub, feedbackToken, startedAt };
  }

  /**
   * The whole answer, once its event is durable (see {@link InteractionEvents.record}); rejects
   * with the chain's GatewayError (after recording it), or with the recording's error when the
   * answer cannot be recorded (then the caller must not answer 200).
   */
  async complete(interaction: Interaction, signal?: CancelSignal): Promise<ChainResult> {
    let result: ChainResult;
    let guardrail: GuardrailName | undefined;
    try {
      result = await this.executor.complete(interaction.assignment.chain, interaction.request, { signal });
      if (this.guard) ({ result, guardrail } = this.guard.complete(interaction.assignment, result));
    } catch (err) {
      await this.failed(interaction, err);
      throw err;
    }
    await this.answered(interaction, result, guardrail);
    return result;
  }

  /** The vectors of an embeddings interaction, once its event (kind `embedding`) is durable; errors as {@link complete}. */
  async embed(interaction: Interaction, signal?: CancelSignal): Promise<EmbeddingResult> {
    const { request } = interaction;
    if (request.embedding === undefined) throw new Error('embed: not an embeddings interaction');
    let result: EmbeddingResult;
    try {
      result = await this.executor.embed(
        interaction.assignment.chain,
        { ...request, embedding: request.embedding },
        { signal },
      );
    } catch (err) {
      await this.failed(interaction, err);
      throw err;
    }
    await this.answered(interaction, result);
    return result;
  }

  /**
   * Text deltas; the interaction is recorded when the chain's result settles, however the stream
   * ends, and the returned `result` settles only once that event is durable — a writer that ends
   * the stream (`[DONE]`) after `result` never ends it before the event is recorded.
   */
  stream(interaction: Interaction, signal?: CancelSignal): ChainStream {
    const chain = this.executor.stream(interaction.assignment.chain, interaction.request, { signal });
    const guarded = this.guard?.stream(interaction.assignment, chain, () => this.clock.now());
    const stream: ChainStream = guarded ?? chain;
    const result = stream.result.then(
      async (done) => {
        await this.answered(interaction, done, guarded?.guardrail());
        return done;
      },
      async (err: unknown) => {
        await this.failed(interaction, err);
        throw err;
      },
    );
    result.catch(() => undefined); // a consumer that only iterates sees the error there
    return {
      [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
      result,
      get model() {
        return stream.model;
      },
    };
  }

  private async answered(
    interaction: Interaction,
    result: ChainResult,
    guardrail?: GuardrailName,
  ): Promise<void> {
    const finishedAt = this.clock.now();
    const event = this.event(interaction, finishedAt, 'ok', result, result.final_model);
    event.output = interaction.request.embedding === undefined ? result.response.text : null;
    if ('vectors' in result) {
      const vectors = (result as EmbeddingResult).vectors;
      event.embedding = { vectors: vectors.length, dimensions: vectors[0]?.length ?? 0 };
    }
    if (guardrail) event.guardrail = guardrail;
    if (result.validation.schema) event.output_json = result.response.json;
    if (result.response.tool_calls !== undefined) event.output_tool_calls = result.response.tool_calls;
    this.metered(interaction, finishedAt, event);
    await this.events.record(event);
  }

  /**
   * Records a failed chain. The caller answers with the chain's error either way, so a failure
   * to record it is only counted and logged (by InteractionEvents), not thrown over it.
   */
  private async failed(interaction: Interaction, err: unknown): Promise<void> {
    const finishedAt = this.clock.now();
    const outcome: ChainOutcome =
      err instanceof GatewayError
        ? err.outcome
        : { attempts: [], validation: NO_VALIDATION, usage: ZERO_USAGE, cost_usd: 0, final_model: null };
    const status = err instanceof GatewayError && err.code === 'truncated' ? 'truncated' : 'error';
    const event = this.event(interaction, finishedAt, status, outcome, outcome.final_model);
    event.output = outcome.partial_output ?? null;
    if (err instanceof GuardrailError) event.guardrail = 'canary_leak';
    this.metered(interaction, finishedAt, event);
    await this.events.record(event).catch(() => undefined);
  }

  private metered(interaction: Interaction, finishedAt: number, event: InteractionEvent): void {
    this.metrics.finished(
      interaction.assignment.route,
      interaction.request.stream,
      (finishedAt - interaction.startedAt) / 1000,
      event.attempts,
      event.validation,
    );
  }

  private event(
    interaction: Interaction,
    finishedAt: number,
    status: InteractionEvent['status'],
    outcome: Pick<ChainOutcome, 'attempts' | 'validation' | 'usage' | 'cost_usd'>,
    finalModel: string | null,
  ): InteractionEvent {
    const { assignment, caller, request } = interaction;
    const event: InteractionEvent = {
      interaction_id: interaction.id,
      route: assignment.route,
      variant: assignment.variant,
      variant_reason: assignment.reason.slice(0, 64),
      subject_hash: interaction.subjectHash,
      subject_generated: caller.subjectGenerated,
      request: { messages: request.messages, stream: request.stream },
      attempts: outcome.attempts,
      final_model: finalModel,
      status,
      output: null,
      validation: outcome.validation,
      usage: outcome.usage,
      cost_usd: outcome.cost_usd,
      latency_ms: Math.max(0, finishedAt - interaction.startedAt),
      started_at: new Date(interaction.startedAt).toISOString(),
      finished_at: new Date(finishedAt).toISOString(),
    };
    if (request.input !== undefined) event.request.input = request.input;
    if (request.embedding !== undefined) event.kind = 'embedding';
    if (request.tools !== undefined)
      event.request.tools = request.tools.map((t) => ({ ...t, parameters: { ...t.parameters } }));
    if (request.tool_choice !== undefined) event.request.tool_choice = request.tool_choice;
    if (assignment.flagKey !== undefined) event.flag_key = assignment.flagKey;
    if (assignment.flagError !== undefined) event.flag_error = assignment.flagError;
    if (caller.app !== undefined) event.app = caller.app;
    if (caller.tenant !== undefined) event.tenant = caller.tenant;
    if (caller.traceId !== undefined) event.trace_id = caller.traceId.slice(0, MAX_TRACE_ID);
    return event;
  }
}
