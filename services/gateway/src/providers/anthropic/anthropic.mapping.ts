import type {
  Message,
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  StopReason,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';
import type { FinishReason, LlmRequest, LlmResponse, Usage } from '../../llm/llm.types';

/**
 * LlmRequest ⇄ Anthropic Messages, as pure functions. The system prompt and any
 * `system`/`developer` messages become the top-level `system`; `tool` messages (we carry no
 * tool_use id) go out as `user`. Structured output is a forced call of one tool whose
 * `input_schema` is the output schema; its input is the answer. `temperature` is not sent:
 * API version 2026-10-21 (SDK 1.x) no longer takes sampling parameters.
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

export function toMessageParams(req: LlmRequest): MessageCreateParamsNonStreaming {
  const system: string[] = req.system === undefined ? [] : [req.system];
  const messages: MessageParam[] = [];
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(m.content);
    else messages.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content });
  }
  const params: MessageCreateParamsNonStreaming = {
    model: req.model,
    max_tokens: req.max_tokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) params.system = system.join('\n\n');
  const out = req.output_schema;
  if (out !== undefined) {
    const tool: Tool = {
      name: out.name,
      description: TOOL_DESCRIPTION,
      input_schema: out.schema as Tool.InputSchema, // a root `type: object` is the caller's to give
    };
    params.tools = [tool];
    params.tool_choice = { type: 'tool', name: out.name, disable_parallel_tool_use: true };
  }
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
  let text = '';
  for (const block of msg.content) if (block.type === 'text') text += block.text;
  return { text, usage, finish_reason };
}

/** Accumulates what a stream reports besides text: usage and the stop reason. */
export interface AnthropicStreamState {
  usage: AnthropicUsage;
  stopReason?: StopReason | null;
  stopped: boolean;
}

export function newStreamState(): AnthropicStreamState {
  return { usage: {}, stopped: false };
}

/** Applies one stream event to `state`; returns the text it adds (text or tool-input JSON), if any. */
export function readStreamEvent(
  event: RawMessageStreamEvent,
  state: AnthropicStreamState,
): string | undefined {
  switch (event.type) {
    case 'message_start':
      state.usage = { ...event.message.usage };
      return undefined;
    case 'content_block_delta':
      if (event.delta.type === 'text_delta') return event.delta.text || undefined;
      if (event.delta.type === 'input_json_delta') return event.delta.partial_json || undefined;
      return undefined;
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
