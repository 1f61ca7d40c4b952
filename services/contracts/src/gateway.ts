import { z } from 'zod';
import { Id, Usage } from './common';
import { ValidationResult } from './events';

/**
 * Gateway HTTP bodies: `POST /v1/chat/completions` (the OpenAI Chat Completions shape) and
 * `POST /v1/routes/{route}/invoke`.
 *
 * The chat request is a strict object: every OpenAI Chat Completions field is either listed
 * here and forwarded (see the gateway README's field table), or refused with a 400 naming it —
 * never silently dropped. An unknown field is refused too, as OpenAI itself does.
 */

export const MAX_TARGETING_KEY = 512;
const MAX_TOOLS = 128;

/** An OpenAI text content part; other part types (images, audio, files) are refused. */
export const ChatTextPart = z.object({
  type: z.literal('text', { error: 'only "text" content parts are supported' }),
  text: z.string(),
});

/** Message content: a string, or an array of text parts (forwarded as parts). */
export const ChatContent = z.union([z.string(), z.array(ChatTextPart)], {
  error: (issue) =>
    Array.isArray(issue.input)
      ? 'only text content parts ({"type": "text", "text": "…"}) are supported'
      : 'expected a string or an array of text parts',
});

/** A function call of an assistant message (the second leg of a tool round trip sends it back). */
export const ChatToolCallIn = z.object({
  id: z.string().min(1).max(256),
  type: z.literal('function', { error: 'only function tool calls are supported' }),
  function: z.object({ name: z.string().min(1).max(256), arguments: z.string() }),
});

/**
 * One message of a request. `system` and `developer` messages need `allow_client_system` on the
 * variant. An assistant message may carry `tool_calls` (and then `content` may be null); a `tool`
 * message answers one of them by `tool_call_id`.
 */
export const ChatRequestMessage = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: ChatContent.nullish(),
    name: z.string().max(128).optional(),
    tool_calls: z.array(ChatToolCallIn).max(MAX_TOOLS).optional(),
    tool_call_id: z.string().min(1).max(256).optional(),
    refusal: z.string().nullish(),
  })
  .superRefine((m, ctx) => {
    if (m.role === 'tool' && m.tool_call_id === undefined)
      ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'a tool message needs tool_call_id' });
    if (m.tool_calls !== undefined && m.role !== 'assistant')
      ctx.addIssue({
        code: 'custom',
        path: ['tool_calls'],
        message: 'only assistant messages carry tool_calls',
      });
    if (m.tool_call_id !== undefined && m.role !== 'tool')
      ctx.addIssue({
        code: 'custom',
        path: ['tool_call_id'],
        message: 'only tool messages carry tool_call_id',
      });
    const empty = m.content === undefined || m.content === null;
    if (empty && !(m.role === 'assistant' && (m.tool_calls?.length ?? 0) > 0))
      ctx.addIssue({
        code: 'custom',
        path: ['content'],
        message: 'expected a string or an array of text parts',
      });
  });
export type ChatRequestMessage = z.infer<typeof ChatRequestMessage>;

/** A function the model may call. Other tool types (custom, web search…) are refused. */
export const ChatTool = z.object({
  type: z.literal('function', { error: 'only function tools are supported' }),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, at most 64'),
    description: z.string().max(4096).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
export type ChatTool = z.infer<typeof ChatTool>;

export const ChatToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1).max(64) }) }),
]);

/**
 * `response_format`: `json_schema` makes the schema the output schema of a direct call (validated,
 * repaired, re-asked like a route's) and must equal a route's own `output_schema`; `json_object`
 * asks for JSON without a schema.
 */
export const ChatResponseFormat = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, at most 64'),
        description: z.string().optional(),
        schema: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
      }),
    }),
  ],
  { error: 'expected type "text", "json_object" or "json_schema"' },
);

const Messages = z.array(ChatRequestMessage).min(1, 'at least one message is required');
const TargetingKey = z.string().min(1).max(MAX_TARGETING_KEY);
/** A field the gateway cannot honour: any value but null is refused with the reason. */
const Refused = (reason: string) => z.null({ error: reason }).optional();

/** `POST /v1/chat/completions` body. */
export const ChatCompletionRequest = z.strictObject({
  /** `route:<name>` (flag-driven variant of a route) or a model id from `models` (direct call) */
  model: z.string().min(1).max(256),
  messages: Messages,
  stream: z.boolean().nullish(),
  stream_options: z
    .strictObject({ include_usage: z.boolean().nullish(), include_obfuscation: z.boolean().nullish() })
    .nullish(),
  /** the targeting key (sticky rollouts, one vote per user); header `x-flywheel-user` otherwise; also forwarded */
  user: TargetingKey.nullish(),
  /** honoured for direct model calls; a route's variant sets its own */
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
  tools: z.array(ChatTool).max(MAX_TOOLS).nullish(),
  tool_choice: ChatToolChoice.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ChatResponseFormat.nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number().min(-100).max(100)).nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  reasoning_effort: z.enum(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']).nullish(),
  service_tier: z.enum(['auto', 'default', 'flex', 'scale', 'priority']).nullish(),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullish(),
  verbosity: z.enum(['low', 'medium', 'high']).nullish(),
  prompt_cache_key: z.string().max(1024).nullish(),
  safety_identifier: z.string().max(256).nullish(),
  store: z
    .literal(false, { error: 'store is not supported: the gateway records every interaction itself' })
    .nullish(),
  modalities: z.array(z.literal('text', { error: 'only the "text" modality is supported' })).nullish(),
  functions: Refused('functions are not supported: use tools'),
  function_call: Refused('function_call is not supported: use tool_choice'),
  audio: Refused('audio output is not supported by the gateway'),
  prediction: Refused('predicted outputs are not supported by the gateway'),
  web_search_options: Refused('web search is not supported by the gateway'),
  prompt_cache_retention: Refused('prompt_cache_retention is not supported by the gateway'),
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

const ToolCallOut = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

/** `POST /v1/chat/completions` answer without `stream`. */
export const ChatCompletionResponse = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({
        role: z.literal('assistant'),
        /** null when the answer is only function calls */
        content: z.string().nullable(),
        refusal: z.null(),
        tool_calls: z.array(ToolCallOut).optional(),
      }),
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
      delta: z.object({
        role: z.literal('assistant').optional(),
        content: z.string().nullable().optional(),
        tool_calls: z
          .array(
            z.object({
              index: z.number().int().nonnegative(),
              id: z.string().optional(),
              type: z.literal('function').optional(),
              function: z.object({ name: z.string().optional(), arguments: z.string() }),
            }),
          )
          .optional(),
      }),
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
