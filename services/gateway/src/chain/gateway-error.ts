import type { Attempt, Usage, ValidationResult } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import type { ValidationIssue } from '../structured/schema-validator';

/**
 * Why a chain produced no answer. No HTTP here: the gateway's transport maps codes to statuses.
 * - `unknown_model`: a chain names a model id that is not in `models`.
 * - `upstream_unavailable`: every model failed (5xx, 429, network, timeout, breaker open, auth…).
 * - `upstream_rejected`: every upstream call was refused as a bad request (likely the input).
 * - `structured_output_invalid`: answers never validated against `output_schema` (details.errors).
 * - `deadline_exceeded`: the overall deadline passed first.
 * - `cancelled`: the caller's signal aborted (client gone).
 * - `truncated`: a stream broke after its first token reached the consumer.
 * - `guardrail`: the answer leaked the route's canary or system prompt (see guardrails/).
 */
export type GatewayErrorCode =
  | 'unknown_model'
  | 'upstream_unavailable'
  | 'upstream_rejected'
  | 'structured_output_invalid'
  | 'deadline_exceeded'
  | 'cancelled'
  | 'truncated'
  | 'guardrail';

/** What a chain did before it failed; the interaction event needs it either way. */
export interface ChainOutcome {
  attempts: Attempt[];
  validation: ValidationResult;
  usage: Usage;
  cost_usd: number;
  /** The model that was answering when a stream broke; otherwise null. */
  final_model: string | null;
  /** Text streamed to the consumer before a stream broke. */
  partial_output?: string;
}

export class GatewayError extends DomainError {
  declare readonly code: GatewayErrorCode;
  declare readonly details: { errors: ValidationIssue[] } | undefined;

  constructor(
    code: GatewayErrorCode,
    message: string,
    /** Attempts, usage and cost so far: internal, for events and logs, never for the client. */
    readonly outcome: ChainOutcome,
    errors?: ValidationIssue[],
    cause?: unknown,
  ) {
    super(code, message, errors === undefined ? undefined : { errors });
    if (cause !== undefined) this.cause = cause;
  }
}
