import { z } from 'zod';
import { Id, Usage } from './common';
import { ValidationResult } from './events';

/**
 * Gateway HTTP bodies: `POST /v1/chat/completions` (the OpenAI Chat Completions shape, the
 * part of it the gateway understands) and `POST /v1/routes/{route}/invoke`.
 *
 * The chat request is a loose object: OpenAI clients send many optional parameters
 * (`top_p`, `seed`, `metadata`…) that the gateway ignores, and a strict schema would break
 * them. What the gateway cannot honour (tools, several choices, a client response format) is
 * refused with a 400 naming the field, never silently dropped.
 */

const MAX_TARGETING_KEY = 512;

/** An OpenAI text content part; other part types (images, audio, files) are refused. */
export const ChatTextPart = z.object({
  type: z.literal('text', { error: 'only "text" content parts are supported' }),
  text: z.string(),
});

/** Message content: a string, or an array of text parts (joined with no separator). */
export const ChatContent = z.union([z.string(), z.array(ChatTextPart)], {
  error: (issue) =>
    Array.isArray(issue.input)
      ? 'only text content parts ({"type": "text", "text": "…"}) are supported'
      : 'expected a string or an array of text parts',
});

/** One message of a request. `system` and `developer` messages need `allow_client_system` on the variant. */
export const ChatRequestMessage = z.object({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: ChatContent,
  name: z.string().max(128).optional(),
});
export type ChatRequestMessage = z.infer<typeof ChatRequestMessage>;

const Messages = z.array(ChatRequestMessage).min(1, 'at least one message is required');
const TargetingKey = z.string().min(1).max(MAX_TARGETING_KEY);
const NonEmptyList = (what: string) =>
  z.array(z.unknown()).max(0, `${what} are not supported by the gateway`).nullish();

/** `POST /v1/chat/completions` body. */
export const ChatCompletionRequest = z.looseObject({
  /** `route:<name>` (flag-driven variant of a route) or a model id from `models` (direct call) */
  model: z.string().min(1).max(256),
  messages: Messages,
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  /** the targeting key (sticky rollouts, one vote per user); header `x-flywheel-user` otherwise */
  user: TargetingKey.nullish(),
  /** honoured for direct model calls; a route's variant sets its own */
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  tools: NonEmptyList('tools'),
  functions: NonEmptyList('functions'),
  response_format: z
    .looseObject({
      type: z.literal('text', {
        error: 'only {"type": "text"} is supported; a route declares its output_schema in flywheel.yaml',
      }),
    })
    .nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** What the gateway adds to every answer (also sent as `x-flywheel-*` headers). */
export const FlywheelAnswerMeta = z.object({
  interaction_id: Id,
  /** the credential for `POST /v1/feedback` on this answer */
  feedback_token: z.string(),
  /** null for a direct model call */
  route: z.string().nullable(),
  variant: z.string(),
  /** the model id that answered */
  model: z.string(),
});
export type FlywheelAnswerMeta = z.infer<typeof FlywheelAnswerMeta>;

const OpenAiUsage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});

const FinishReason = z.enum(['stop', 'length', 'content_filter', 'tool_calls']);

/** `POST /v1/chat/completions` answer without `stream`. */
export const ChatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      finish_reason: FinishReason,
      logprobs: z.null(),
    }),
  ),
  usage: OpenAiUsage,
  flywheel: FlywheelAnswerMeta,
});
export type ChatCompletionResponse = z.infer<typeof ChatCompletionResponse>;

/**
 * One `data:` event of a streamed answer. The first carries `flywheel`; the last content chunk
 * has `finish_reason`; with `stream_options.include_usage` a chunk with no choices and `usage`
 * follows; then `data: [DONE]`. A stream that breaks after its first token ends with
 * `data: {"error": {"type": "truncated", "message": …}}` and no `[DONE]`.
 */
export const ChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      finish_reason: FinishReason.nullable(),
    }),
  ),
  usage: OpenAiUsage.optional(),
  flywheel: FlywheelAnswerMeta.optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunk>;

/** `POST /v1/routes/{route}/invoke` body: template variables for the variant's `prompt`, or messages. */
export const InvokeRequest = z
  .strictObject({
    /** values for the `{{var}}` placeholders of the variant's `prompt` */
    input: z.record(z.string(), z.unknown()).optional(),
    messages: Messages.optional(),
    user: TargetingKey.optional(),
  })
  .refine((b) => (b.input === undefined) !== (b.messages === undefined), {
    message: 'send exactly one of input or messages',
  });
export type InvokeRequest = z.infer<typeof InvokeRequest>;

/** `POST /v1/routes/{route}/invoke` answer. */
export const InvokeResponse = z.object({
  interaction_id: Id,
  feedback_token: z.string(),
  route: z.string(),
  variant: z.string(),
  model: z.string(),
  /** the parsed JSON value when the variant has an output_schema, else the answer text */
  output: z.unknown(),
  validation: ValidationResult,
  usage: Usage,
  latency_ms: z.number().nonnegative(),
});
export type InvokeResponse = z.infer<typeof InvokeResponse>;
