import type {
  ContentBlockParam,
  Message,
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  OutputConfig,
  StopReason,
  TextBlockParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type {
  ChatMessage,
  FinishReason,
  LlmDelta,
  LlmRequest,
  LlmResponse,
  SamplingParams,
  ToolCall,
  Usage,
} from '../../llm/llm.types';
import type { RequestField } from '../llm-provider';

/**
 * LlmRequest ⇄ Anthropic Messages, as pure functions. The system prompt and any
 * `system`/`developer` messages become the top-level `system`; content parts become text blocks;
 * an assistant's tool calls become `tool_use` blocks and `tool` messages `tool_result` blocks
 * (consecutive results in one user turn). Structured output is a forced call of one tool whose
 * `input_schema` is the output schema; its input is the answer. Client parameters are
 * translated where the Messages API has an equivalent ({@link ANTHROPIC_PARAMS}) and refused
 * otherwise (`refusal`); `temperature` is not sent: API version 2026-10-21 (SDK 1.x) no
 * longer takes sampling parameters.
 */

/** Anthropic requires max_tokens; used when the variant sets none. */
export const DEFAULT_MAX_TOKENS = 4096;

const TOOL_DESCRIPTION = 'Return the answer by calling this tool; its input is the answer as JSON.';

const STOP: Record<StopReason, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_call',
  refusal: 'content_filter',
  pause_turn: 'other',
};

/** The inverse of STOP (its first entry per reason), for answers in the Messages shape (`/v1/messages`). */
const STOP_REASON = Object.fromEntries(
  (Object.entries(STOP) as [StopReason, FinishReason][]).reverse().map(([stop, finish]) => [finish, stop]),
) as Record<FinishReason, StopReason>;
STOP_REASON.other = 'end_turn'; // an unknown reason is a normal end, not an Anthropic `pause_turn`

/** The gateway's finish reason as a Messages API stop reason. */
export function toStopReason(reason: FinishReason): StopReason {
  return STOP_REASON[reason];
}

const EFFORTS: ReadonlySet<string> = new Set(['low', 'medium', 'high', 'xhigh']);
const SERVICE_TIERS: Readonly<Record<string, 'auto' | 'standard_only'>> = {
  auto: 'auto',
  default: 'standard_only',
};

/**
 * What happens to each client parameter on its way to the Messages API: a translation, or
 * `null` for refused (the gateway answers 400 naming the field before any call).
 */
export const ANTHROPIC_PARAMS: Readonly<Record<RequestField, string | null>> = {
  stop: 'stop_sequences',
  user: 'metadata.user_id',
  reasoning_effort: 'output_config.effort (low, medium, high, xhigh)',
  service_tier: 'service_tier (auto → auto, default → standard_only)',
  top_p: null,
  seed: null,
  frequency_penalty: null,
  presence_penalty: null,
  logit_bias: null,
  logprobs: null,
  top_logprobs: null,
  metadata: null,
  verbosity: null,
  prompt_cache_key: null,
  safety_identifier: null,
  json_object: null,
  // API version 2026-10-21 (SDK 1.x) takes no sampling parameters: a client's temperature on a
  // direct call is refused by name rather than dropped (a variant's own is not sent, see above)
  temperature: null,
};

/** Why the Messages API cannot take `field` = `value`, or undefined when it can. */
export function anthropicRefusal(field: RequestField, value: unknown): string | undefined {
  const translation = ANTHROPIC_PARAMS[field];
  if (translation === null) return `${field} is not supported by the Anthropic Messages API`;
  if (field === 'reasoning_effort' && !EFFORTS.has(String(value)))
    return `reasoning_effort "${String(value)}" has no Anthropic equivalent (low, medium, high, xhigh)`;
  if (field === 'service_tier' && SERVICE_TIERS[String(value)] === undefined)
    return `service_tier "${String(value)}" has no Anthropic equivalent (auto, default)`;
  return undefined;
}

function text(m: ChatMessage): string | TextBlockParam[] {
  return m.parts === undefined ? m.content : m.parts.map((t) => ({ type: 'text' as const, text: t }));
}

function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return {}; // the model wrote broken arguments; Anthropic needs an object
  }
}

function assistant(m: ChatMessage): MessageParam {
  if (m.tool_calls === undefined) return { role: 'assistant', content: text(m) };
  const blocks: ContentBlockParam[] = [];
  if (m.content !== '')
    blocks.push(...(m.parts ?? [m.content]).map((t) => ({ type: 'text' as const, text: t })));
  for (const c of m.tool_calls)
    blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: parseArguments(c.arguments) });
  return { role: 'assistant', content: blocks };
}

function toMessages(req: LlmRequest, system: string[]): MessageParam[] {
  const messages: MessageParam[] = [];
  let results: ToolResultBlockParam[] | undefined;
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      system.push(m.content);
      continue;
    }
    if (m.role === 'tool' && m.tool_call_id !== undefined) {
      const block: ToolResultBlockParam = {
        type: 'tool_result',
        tool_use_id: m.tool_call_id,
        content: text(m),
      };
      if (results) results.push(block);
      else messages.push({ role: 'user', content: (results = [block]) });
      continue;
    }
    results = undefined;
    messages.push(m.role === 'assistant' ? assistant(m) : { role: 'user', content: text(m) });
  }
  return messages;
}

function toToolChoice(req: LlmRequest): ToolChoice | undefined {
  const c = req.tool_choice;
  const disable = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  if (c === undefined) return req.parallel_tool_calls === false ? { type: 'auto', ...disable } : undefined;
  if (c === 'none') return { type: 'none' };
  if (c === 'auto') return { type: 'auto', ...disable };
  if (c === 'required') return { type: 'any', ...disable };
  return { type: 'tool', name: c.name, ...disable };
}

function applyParams(params: MessageCreateParamsNonStreaming, p: SamplingParams): void {
  if (p.stop !== undefined) params.stop_sequences = p.stop;
  if (p.user !== undefined) params.metadata = { user_id: p.user };
  if (p.reasoning_effort !== undefined && EFFORTS.has(p.reasoning_effort))
    params.output_config = { effort: p.reasoning_effort as OutputConfig['effort'] };
  if (p.service_tier !== undefined && SERVICE_TIERS[p.service_tier] !== undefined)
    params.service_tier = SERVICE_TIERS[p.service_tier];
}

export function toMessageParams(req: LlmRequest): MessageCreateParamsNonStreaming {
  const system: string[] = req.system === undefined ? [] : [req.system];
  const messages = toMessages(req, system);
  const params: MessageCreateParamsNonStreaming = {
    model: req.model,
    max_tokens: req.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) params.system = system.join('\n\n');
  if (req.params !== undefined) applyParams(params, req.params);
  const tools: Tool[] = (req.tools ?? []).map((t) => {
    const tool: Tool = { name: t.name, input_schema: t.parameters as Tool.InputSchema };
    if (t.description !== undefined) tool.description = t.description;
    if (t.strict !== undefined) tool.strict = t.strict;
    return tool;
  });
  const choice = toToolChoice(req);
  if (choice !== undefined && tools.length > 0) params.tool_choice = choice;
  const out = req.output_schema;
  if (out !== undefined) {
    tools.push({
      name: out.name,
      description: TOOL_DESCRIPTION,
      input_schema: out.schema as Tool.InputSchema, // a root `type: object` is the caller's to give
    });
    // with client tools the model may still call them; the schema applies to the final answer
    if (tools.length === 1)
      params.tool_choice = { type: 'tool', name: out.name, disable_parallel_tool_use: true };
  }
  if (tools.length > 0) params.tools = tools;
  return params;
}

export function toMessageStreamParams(req: LlmRequest): MessageCreateParamsStreaming {
  return { ...toMessageParams(req), stream: true };
}

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Input tokens include cache writes and reads (all billed as input). */
export function fromUsage(u: AnthropicUsage): Usage {
  const input =
    (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
  const output = u.output_tokens ?? 0;
  return { input_tokens: input, output_tokens: output, total_tokens: input + output };
}

/** A forced tool call answers the question: report it as a normal stop. */
export function fromStopReason(reason: StopReason | null | undefined, structured: boolean): FinishReason {
  if (!reason) return 'other';
  if (reason === 'tool_use' && structured) return 'stop';
  return STOP[reason] ?? 'other';
}

export function fromMessage(msg: Message, req: LlmRequest): LlmResponse {
  const usage = fromUsage(msg.usage);
  const structured = req.output_schema !== undefined;
  const finish_reason = fromStopReason(msg.stop_reason, structured);
  if (structured) {
    const call = msg.content.find((b) => b.type === 'tool_use' && b.name === req.output_schema?.name);
    if (call?.type === 'tool_use') {
      // a malformed input arrives as a string: leave it to the repair step
      if (typeof call.input === 'string') return { text: call.input, usage, finish_reason };
      return { text: JSON.stringify(call.input), json: call.input, usage, finish_reason };
    }
  }
  let answer = '';
  const calls: ToolCall[] = [];
  for (const block of msg.content) {
    if (block.type === 'text') answer += block.text;
    else if (block.type === 'tool_use' && block.name !== req.output_schema?.name)
      calls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
  }
  const response: LlmResponse = { text: answer, usage, finish_reason };
  if (calls.length > 0) {
    response.tool_calls = calls;
    response.finish_reason = 'tool_call';
  }
  return response;
}

/** Accumulates what a stream reports besides text: usage, the stop reason, the client tool-call blocks. */
export interface AnthropicStreamState {
  usage: AnthropicUsage;
  stopReason?: StopReason | null;
  stopped: boolean;
  /** `message_start`'s model and id (for traces) */
  model?: string;
  id?: string;
  /** content block index → tool-call index, for blocks that call a client tool */
  toolBlocks: Map<number, number>;
}

export function newStreamState(): AnthropicStreamState {
  return { usage: {}, stopped: false, toolBlocks: new Map() };
}

/**
 * Applies one stream event to `state`; returns the delta it adds, if any: text (the structured
 * output tool's input JSON counts as text), or a piece of a client tool call.
 */
export function readStreamEvent(
  event: RawMessageStreamEvent,
  state: AnthropicStreamState,
  outputTool?: string,
): LlmDelta | undefined {
  switch (event.type) {
    case 'message_start':
      state.usage = { ...event.message.usage };
      state.model = event.message.model;
      state.id = event.message.id;
      return undefined;
    case 'content_block_start': {
      const block = event.content_block;
      if (block.type !== 'tool_use' || block.name === outputTool) return undefined;
      const index = state.toolBlocks.size;
      state.toolBlocks.set(event.index, index);
      return { type: 'tool_call', index, id: block.id, name: block.name, arguments: '' };
    }
    case 'content_block_delta': {
      const tool = state.toolBlocks.get(event.index);
      if (event.delta.type === 'input_json_delta' && tool !== undefined) {
        return event.delta.partial_json
          ? { type: 'tool_call', index: tool, arguments: event.delta.partial_json }
          : undefined;
      }
      if (event.delta.type === 'text_delta')
        return event.delta.text ? { type: 'delta', text: event.delta.text } : undefined;
      if (event.delta.type === 'input_json_delta')
        return event.delta.partial_json ? { type: 'delta', text: event.delta.partial_json } : undefined;
      return undefined;
    }
    case 'message_delta':
      state.stopReason = event.delta.stop_reason;
      for (const [k, v] of Object.entries(event.usage)) {
        if (typeof v === 'number') (state.usage as Record<string, number>)[k] = v;
      }
      return undefined;
    case 'message_stop':
      state.stopped = true;
      return undefined;
    default:
      return undefined;
  }
}
