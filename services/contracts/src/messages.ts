import { z } from 'zod';
import { FlywheelAnswerMeta } from './gateway';

/**
 * `POST /v1/messages`: the Anthropic Messages API on the gateway, for `@anthropic-ai/sdk` users.
 * A strict object like the chat request: every field is listed here and forwarded (see the
 * gateway README's field table) or refused with a 400 naming it; an unknown field is refused.
 */

const MAX_TOOLS = 128;
const MAX_TARGETING_KEY = 512;
/** A field the gateway cannot honour: any value but null is refused with the reason. */
const Refused = (reason: string) => z.null({ error: reason }).optional();

export const MessagesTextBlock = z.object({
  type: z.literal('text'),
  text: z.string(),
  /** accepted and not forwarded: the gateway does not manage prompt caching */
  cache_control: z.unknown().optional(),
});

const ToolResultContent = z.union([z.string(), z.array(MessagesTextBlock)], {
  error: 'expected a string or an array of text blocks',
});

export const MessagesContentBlock = z.discriminatedUnion(
  'type',
  [
    MessagesTextBlock,
    z.object({
      type: z.literal('tool_use'),
      id: z.string().min(1).max(256),
      name: z.string().min(1).max(256),
      input: z.record(z.string(), z.unknown()),
      cache_control: z.unknown().optional(),
    }),
    z.object({
      type: z.literal('tool_result'),
      tool_use_id: z.string().min(1).max(256),
      content: ToolResultContent.optional(),
      is_error: z.boolean().optional(),
      cache_control: z.unknown().optional(),
    }),
  ],
  { error: 'only "text", "tool_use" and "tool_result" content blocks are supported' },
);
export type MessagesContentBlock = z.infer<typeof MessagesContentBlock>;

export const MessagesMessage = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(MessagesContentBlock).min(1)], {
    error: (issue) =>
      Array.isArray(issue.input)
        ? 'expected an array of content blocks'
        : 'expected a string or content blocks',
  }),
});
export type MessagesMessage = z.infer<typeof MessagesMessage>;

export const MessagesTool = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only, at most 64'),
  description: z.string().max(4096).optional(),
  input_schema: z.record(z.string(), z.unknown()),
  type: z.literal('custom', { error: 'only custom (client) tools are supported' }).optional(),
  strict: z.boolean().optional(),
  cache_control: z.unknown().optional(),
});

export const MessagesToolChoice = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
    z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
    z.object({
      type: z.literal('tool'),
      name: z.string().min(1).max(64),
      disable_parallel_tool_use: z.boolean().optional(),
    }),
    z.object({ type: z.literal('none') }),
  ],
  { error: 'expected type "auto", "any", "tool" or "none"' },
);

/** `POST /v1/messages` body. */
export const MessagesRequest = z.strictObject({
  /** `route:<name>` (flag-driven variant of a route) or a model id from `models` (direct call) */
  model: z.string().min(1).max(256),
  messages: z.array(MessagesMessage).min(1, 'at least one message is required'),
  max_tokens: z.number().int().positive(),
  system: z.union([z.string(), z.array(MessagesTextBlock)]).optional(),
  stream: z.boolean().optional(),
  /** honoured for direct model calls; a route's variant sets its own */
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: Refused('top_k is not supported: neither the OpenAI nor the current Anthropic API takes it'),
  stop_sequences: z.array(z.string()).max(16).optional(),
  /** `user_id` is the targeting key (sticky rollouts, one vote per user) and is forwarded */
  metadata: z.strictObject({ user_id: z.string().min(1).max(MAX_TARGETING_KEY).nullish() }).optional(),
  tools: z.array(MessagesTool).max(MAX_TOOLS).optional(),
  tool_choice: MessagesToolChoice.optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
  thinking: Refused('extended thinking is not supported by the gateway'),
  container: Refused('containers are not supported by the gateway'),
  mcp_servers: Refused('MCP servers are not supported by the gateway'),
  context_management: Refused('context management is not supported by the gateway'),
  output_config: Refused('output_config is not supported: use a route with an output_schema'),
  output_format: Refused('output_format is not supported: use a route with an output_schema'),
  cache_control: Refused('prompt caching is not supported by the gateway'),
  inference_geo: Refused('inference_geo is not supported by the gateway'),
  speed: Refused('speed is not supported by the gateway'),
  diagnostics: Refused('diagnostics are not supported by the gateway'),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

const MessagesUsage = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
});

export const MessagesStopReason = z.enum([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'refusal',
  'pause_turn',
  'model_context_window_exceeded',
]);

/** `POST /v1/messages` answer without `stream` (Anthropic's Message, plus the `flywheel` object). */
export const MessagesResponse = z.object({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(
    z.union([
      z.object({ type: z.literal('text'), text: z.string() }),
      z.object({
        type: z.literal('tool_use'),
        id: z.string(),
        name: z.string(),
        input: z.unknown(),
      }),
    ]),
  ),
  stop_reason: MessagesStopReason,
  stop_sequence: z.string().nullable(),
  usage: MessagesUsage,
  flywheel: FlywheelAnswerMeta,
});
export type MessagesResponse = z.infer<typeof MessagesResponse>;

/** Errors on `/v1/messages`, in Anthropic's shape (the SDK reads `error.type` and `error.message`). */
export const MessagesErrorBody = z.object({
  type: z.literal('error'),
  error: z.object({
    type: z.string(),
    message: z.string(),
    /** the Flywheel code (`unknown_route`, `upstream_unavailable`, …) */
    code: z.string().optional(),
    /** the first offending field path of a validation error */
    param: z.string().nullable().optional(),
    details: z.unknown().optional(),
    error_id: z.string().optional(),
  }),
});
export type MessagesErrorBody = z.infer<typeof MessagesErrorBody>;

/** `GET /v1/models` entries (OpenAI's model list shape): model ids and `route:<name>` entries. */
export const ModelEntry = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
});
export type ModelEntry = z.infer<typeof ModelEntry>;

export const ModelList = z.object({ object: z.literal('list'), data: z.array(ModelEntry) });
export type ModelList = z.infer<typeof ModelList>;
