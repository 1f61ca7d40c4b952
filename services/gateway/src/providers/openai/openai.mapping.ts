import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ChatMessage, FinishReason, LlmRequest, LlmResponse, Usage } from '../../llm/llm.types';
import { ZERO_USAGE } from '../../llm/llm.types';

/**
 * LlmRequest ⇄ OpenAI Chat Completions, as pure functions. Also used for OpenAI-compatible
 * servers (vLLM, Ollama…), so only widely supported fields are sent: `developer` messages
 * go out as `system`, and `tool` messages (we carry no tool_call_id) as `user`.
 */

const ROLES: Record<ChatMessage['role'], 'system' | 'user' | 'assistant'> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'user',
};

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'tool_call',
  function_call: 'tool_call',
};

function toMessage(m: ChatMessage): ChatCompletionMessageParam {
  const role = ROLES[m.role];
  return m.name === undefined ? { role, content: m.content } : { role, content: m.content, name: m.name };
}

export function toChatCompletionParams(req: LlmRequest): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: req.system });
  for (const m of req.messages) messages.push(toMessage(m));
  const params: ChatCompletionCreateParamsNonStreaming = { model: req.model, messages };
  if (req.temperature !== undefined) params.temperature = req.temperature;
  if (req.max_tokens !== undefined) params.max_completion_tokens = req.max_tokens;
  const out = req.output_schema;
  if (out !== undefined) {
    params.response_format = {
      type: 'json_schema',
      json_schema:
        out.strict === undefined
          ? { name: out.name, schema: out.schema }
          : { name: out.name, schema: out.schema, strict: out.strict },
    };
  }
  return params;
}

/** The same request streamed, with the usage chunk asked for. */
export function toChatCompletionStreamParams(req: LlmRequest): ChatCompletionCreateParamsStreaming {
  return { ...toChatCompletionParams(req), stream: true, stream_options: { include_usage: true } };
}

export function fromUsage(u: CompletionUsage | null | undefined): Usage {
  if (!u) return ZERO_USAGE;
  return { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens, total_tokens: u.total_tokens };
}

export function fromFinishReason(reason: string | null | undefined): FinishReason {
  return (reason && FINISH[reason]) || 'other';
}

export function fromChatCompletion(c: ChatCompletion): LlmResponse {
  const choice = c.choices[0];
  const message = choice?.message;
  return {
    text: message?.content ?? message?.refusal ?? '',
    usage: fromUsage(c.usage),
    finish_reason: fromFinishReason(choice?.finish_reason),
  };
}

/** The text a chunk adds (content, or a refusal), if any. */
export function chunkText(chunk: ChatCompletionChunk): string | undefined {
  const delta = chunk.choices[0]?.delta;
  return delta?.content || delta?.refusal || undefined;
}

export function chunkFinishReason(chunk: ChatCompletionChunk): string | null | undefined {
  return chunk.choices[0]?.finish_reason;
}
