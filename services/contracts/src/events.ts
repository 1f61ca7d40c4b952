import { z } from 'zod';
import { ChatMessage, Id, Name, Rating, Timestamp, ToolCall, Usage } from './common';

/**
 * Event payloads (the CloudEvents `data`). Rules for evolving them: never remove or retype
 * a field of a published version; new fields are `.optional()` so that consumers of a
 * rolling deploy accept events from both sides. Unknown fields are kept (`z.looseObject`)
 * so an older consumer passes a newer producer's fields through untouched.
 */

export const AttemptStatus = z.enum([
  'ok', // the model answered and (if a schema applies) the output validated
  'error', // HTTP/network error from the provider
  'timeout', // per-attempt or first-token timeout
  'circuit_open', // skipped: the model's breaker was open
  'invalid_output', // answered, but output failed schema validation after repair
  'truncated', // stream broke after the first token was sent to the client
]);
export type AttemptStatus = z.infer<typeof AttemptStatus>;

export const Attempt = z.looseObject({
  model: Name,
  provider: Name,
  status: AttemptStatus,
  http_status: z.number().int().optional(),
  /** A short, stable classification such as `rate_limited`, `server_error`, `network`, `timeout`. */
  error_class: z.string().max(64).optional(),
  latency_ms: z.number().nonnegative(),
  started_at: Timestamp,
  usage: Usage.optional(),
  cost_usd: z.number().nonnegative().optional(),
  /** Which try this was against the same model (1-based), counting re-asks. */
  try: z.number().int().positive().optional(),
  repaired: z.boolean().optional(),
});
export type Attempt = z.infer<typeof Attempt>;

export const ValidationResult = z.looseObject({
  /** false when the variant has no output_schema */
  schema: z.boolean(),
  valid: z.boolean(),
  repaired: z.boolean(),
  reasks: z.number().int().nonnegative(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ValidationResult = z.infer<typeof ValidationResult>;

export const InteractionStatus = z.enum(['ok', 'error', 'truncated']);

/**
 * Present when the gateway cut the event to fit its size bound (GATEWAY_EVENT_MAX_BYTES): the
 * fields listed hold a prefix of `kept_bytes` UTF-8 bytes of their `original_bytes` (0 kept: left
 * out). Not to be confused with `status: "truncated"`, a stream that broke mid-answer.
 */
export const EventTruncation = z.looseObject({
  /** the bound the event was cut to fit */
  max_bytes: z.number().int().positive(),
  /** the event's JSON size before cutting; absent when it nested too deep to serialize */
  original_bytes: z.number().int().nonnegative().optional(),
  /** the cut fields, largest first (at most 32 listed) */
  fields: z.array(
    z.object({
      /** dotted path in the event, e.g. `output`, `request.messages.0.content`, `request.input` */
      path: z.string(),
      original_bytes: z.number().int().nonnegative(),
      kept_bytes: z.number().int().nonnegative(),
    }),
  ),
  /** how many fields were cut, listed or not */
  fields_total: z.number().int().nonnegative(),
});
export type EventTruncation = z.infer<typeof EventTruncation>;

export const InteractionEvent = z.looseObject({
  interaction_id: Id,
  /**
   * What was asked: `chat` (chat completions, messages, invoke; also when absent, as before this
   * field) or `embedding` (`POST /v1/embeddings`: `request.messages` holds one user message per
   * input, `output` is null, `embedding` says how many vectors of what size).
   */
  kind: z.enum(['chat', 'embedding']).optional(),
  embedding: z
    .looseObject({ vectors: z.number().int().nonnegative(), dimensions: z.number().int().nonnegative() })
    .optional(),
  trace_id: z.string().max(64).optional(),
  /** null for a direct model call (`model: "<id>"` instead of `route:<name>`) */
  route: Name.nullable(),
  flag_key: Name.optional(),
  variant: Name,
  /** OpenFeature resolution reason (`SPLIT`, `TARGETING_MATCH`, `DEFAULT`, `ERROR`…) or `FORCED`. */
  variant_reason: z.string().max(64),
  flag_error: z.string().max(256).optional(),
  /** sha256 hex of the targeting key; the raw key never leaves the gateway */
  subject_hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** true when the caller sent no targeting key and the gateway made one up */
  subject_generated: z.boolean(),
  app: z.string().max(128).optional(),
  tenant: z.string().max(128).optional(),
  request: z.looseObject({
    messages: z.array(ChatMessage),
    /** template variables, for `/v1/routes/{route}/invoke` with `input` */
    input: z.record(z.string(), z.unknown()).optional(),
    stream: z.boolean(),
    /** the functions the client offered the model */
    tools: z
      .array(
        z.looseObject({
          name: z.string(),
          description: z.string().optional(),
          parameters: z.record(z.string(), z.unknown()),
        }),
      )
      .optional(),
    /** `auto`, `none`, `required`, or `{name}` of the function the model had to call */
    tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string() })]).optional(),
  }),
  attempts: z.array(Attempt),
  final_model: Name.nullable(),
  status: InteractionStatus,
  /** text of the answer; `output_json` too when the variant has an output_schema */
  output: z.string().nullable(),
  output_json: z.unknown().optional(),
  /** the function calls the model answered with (the client runs them and sends the results back) */
  output_tool_calls: z.array(ToolCall).optional(),
  /**
   * set when a guardrail fired: `canary_leak` — the model's answer contained the route's canary
   * or a long verbatim run of its system prompt, and was refused or replaced (`output` is what
   * the client received)
   */
  guardrail: z.enum(['canary_leak']).optional(),
  validation: ValidationResult,
  usage: Usage,
  cost_usd: z.number().nonnegative(),
  latency_ms: z.number().nonnegative(),
  started_at: Timestamp,
  finished_at: Timestamp,
  /** set when long strings were cut (or input/output_json left out) to fit the size bound */
  truncated: EventTruncation.optional(),
  /** `at_source`: the gateway redacted request and output before publishing (route config). */
  redaction: z.enum(['at_source']).optional(),
});
export type InteractionEvent = z.infer<typeof InteractionEvent>;

export const FeedbackEvent = z.looseObject({
  feedback_id: Id,
  interaction_id: Id,
  route: Name.nullable(),
  variant: Name,
  subject_hash: z.string().regex(/^[0-9a-f]{64}$/),
  rating: Rating,
  reasons: z.array(z.string().min(1).max(64)).max(16),
  comment: z.string().max(2000).optional(),
  correction: z.string().max(8000).optional(),
  /** 1 for the first vote of this subject on this interaction, +1 per change of vote */
  revision: z.number().int().positive(),
  created_at: Timestamp,
});
export type FeedbackEvent = z.infer<typeof FeedbackEvent>;

export const EvalCaseStatus = z.enum(['new', 'accepted', 'rejected']);
export type EvalCaseStatus = z.infer<typeof EvalCaseStatus>;

export const EvalCaseEvent = z.looseObject({
  case_id: Id,
  route: Name,
  /** what happened to the case: created from a first dislike, merged a near-duplicate, triaged */
  action: z.enum(['created', 'merged', 'accepted', 'rejected']),
  status: EvalCaseStatus,
  /** how many disliked interactions this case stands for */
  count: z.number().int().positive(),
  input: z.looseObject({
    messages: z.array(ChatMessage).optional(),
    vars: z.record(z.string(), z.unknown()).optional(),
  }),
  output: z.string().nullable(),
  reasons: z.array(z.string()),
  comment: z.string().optional(),
  correction: z.string().optional(),
  variant: Name,
  model: Name.nullable(),
  flag_key: Name.optional(),
  lineage: z.looseObject({
    interaction_ids: z.array(Id).min(1),
    feedback_ids: z.array(Id).min(1),
    first_seen_at: Timestamp,
    last_seen_at: Timestamp,
  }),
  created_at: Timestamp,
});
export type EvalCaseEvent = z.infer<typeof EvalCaseEvent>;

/** Lowercase hex HMAC-SHA256 of a targeting key, as in every event's `subject_hash`. */
export const SubjectHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/** At most this many case ids of each kind travel in one tombstone; the rest are counted. */
export const TOMBSTONE_MAX_CASE_IDS = 1000;

/**
 * Tombstone of an erased subject (`flywheel.subjects.v1`, key subject_hash, a compacted topic):
 * the curator deleted this subject's interactions, votes and case lineage (GDPR erasure) and
 * asks every other consumer to do the same and to drop the subject's events from now on —
 * including events it reads again later (a replay of `flywheel.interactions.v1` or
 * `flywheel.feedback.v1`, which carry `subject_hash`). Consumers of `flywheel.eval-cases.v1`
 * (keyed by case id, no subject) use `case_ids`: cases deleted, and cases kept for other
 * subjects' evidence that lost this subject's votes, lineage and input/output copies.
 */
export const SubjectErasedEvent = z.looseObject({
  subject_hash: SubjectHash,
  /** when this erase request ran */
  erased_at: Timestamp,
  /** the subject's first erase (equal to `erased_at` unless it was erased before) */
  first_erased_at: Timestamp,
  case_ids: z.looseObject({
    deleted: z.array(Id).max(TOMBSTONE_MAX_CASE_IDS),
    changed: z.array(Id).max(TOMBSTONE_MAX_CASE_IDS),
    /** true when more ids than listed were affected (the HTTP answer counts them all) */
    truncated: z.boolean(),
  }),
});
export type SubjectErasedEvent = z.infer<typeof SubjectErasedEvent>;
