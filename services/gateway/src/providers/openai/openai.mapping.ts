import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionFunctionTool,
  ChatCompletionToolChoiceOption,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from 'openai/resources/embeddings';
import type {
  ChatMessage,
  EmbeddingRequest,
  EmbeddingResponse,
  FinishReason,
  LlmRequest,
  LlmResponse,
  ToolCallDelta,
  ToolChoice,
  ToolSpec,
  Usage,
} from '../../llm/llm.types';
import { ZERO_USAGE } from '../../llm/llm.types';
import { ProviderError } from '../provider-error';

/**
 * LlmRequest ⇄ OpenAI Chat Completions, as pure functions. Also used for OpenAI-compatible
 * servers (vLLM, Ollama…): `developer` messages go out as `system`; content parts, tool calls
 * and tool results go out as OpenAI sends them; every sampling parameter is passed through.
 */

const FINISH: Record<string, FinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'tool_call',
  function_call: 'tool_call',
};

function content(m: ChatMessage): string | { type: 'text'; text: string }[] {
  return m.parts === undefined ? m.content : m.parts.map((text) => ({ type: 'text' as const, text }));
}

function toMessage(m: ChatMessage): ChatCompletionMessageParam {
  const name = m.name === undefined ? {} : { name: m.name };
  switch (m.role) {
    case 'tool':
      // without a call id (older clients), a tool result is sent as user text, as before tools
      if (m.tool_call_id === undefined) return { role: 'user', content: content(m), ...name };
      return { role: 'tool', content: content(m), tool_call_id: m.tool_call_id };
    case 'assistant': {
      if (m.tool_calls === undefined) return { role: 'assistant', content: content(m), ...name };
      return {
        role: 'assistant',
        content: m.content === '' ? null : content(m),
        tool_calls: m.tool_calls.map((c) => ({
          id: c.id,
          type: 'function' as const,
          function: { name: c.name, arguments: c.arguments },
        })),
        ...name,
      };
    }
    case 'user':
      return { role: 'user', content: content(m), ...name };
    default:
      return { role: 'system', content: m.content, ...name };
  }
}

function toTool(t: ToolSpec): ChatCompletionFunctionTool {
  const fn: ChatCompletionFunctionTool['function'] = { name: t.name, parameters: t.parameters };
  if (t.description !== undefined) fn.description = t.description;
  if (t.strict !== undefined) fn.strict = t.strict;
  return { type: 'function', function: fn };
}

function toToolChoice(c: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };
}

export function toChatCompletionParams(req: LlmRequest): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (req.system !== undefined) messages.push({ role: 'system', content: req.system });
  for (const m of req.messages) messages.push(toMessage(m));
  const params: ChatCompletionCreateParamsNonStreaming = { model: req.model, messages };
  if (req.temperature !== undefined) params.temperature = req.temperature;
  if (req.max_tokens !== undefined) params.max_completion_tokens = req.max_tokens;
  if (req.params !== undefined) Object.assign(params, req.params);
  if (req.tools !== undefined && req.tools.length > 0) params.tools = req.tools.map(toTool);
  if (req.tool_choice !== undefined) params.tool_choice = toToolChoice(req.tool_choice);
  if (req.parallel_tool_calls !== undefined) params.parallel_tool_calls = req.parallel_tool_calls;
  const out = req.output_schema;
  if (out !== undefined) {
    params.response_format = {
      type: 'json_schema',
      json_schema:
        out.strict === undefined
          ? { name: out.name, schema: out.schema }
          : { name: out.name, schema: out.schema, strict: out.strict },
    };
  } else if (req.json_object === true) {
    params.response_format = { type: 'json_object' };
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
  const response: LlmResponse = {
    text: message?.content ?? message?.refusal ?? '',
    usage: fromUsage(c.usage),
    finish_reason: fromFinishReason(choice?.finish_reason),
  };
  const calls = message?.tool_calls?.filter((t) => t.type === 'function');
  if (calls !== undefined && calls.length > 0) {
    response.tool_calls = calls.map((t) => ({
      id: t.id,
      name: t.function.name,
      arguments: t.function.arguments,
    }));
  }
  return response;
}

/** The tool-call pieces a chunk adds, if any. */
export function chunkToolCalls(chunk: ChatCompletionChunk): ToolCallDelta[] {
  const calls = chunk.choices[0]?.delta?.tool_calls;
  if (!calls) return [];
  return calls.map((c) => {
    const d: ToolCallDelta = { type: 'tool_call', index: c.index, arguments: c.function?.arguments ?? '' };
    if (c.id) d.id = c.id;
    if (c.function?.name) d.name = c.function.name;
    return d;
  });
}

/** The text a chunk adds (content, or a refusal), if any. */
export function chunkText(chunk: ChatCompletionChunk): string | undefined {
  const delta = chunk.choices[0]?.delta;
  return delta?.content || delta?.refusal || undefined;
}

export function chunkFinishReason(chunk: ChatCompletionChunk): string | null | undefined {
  return chunk.choices[0]?.finish_reason;
}

export function toEmbeddingParams(req: EmbeddingRequest): EmbeddingCreateParams {
  const params: EmbeddingCreateParams = { model: req.model, input: [...req.input], encoding_format: 'float' };
  if (req.dimensions !== undefined) params.dimensions = req.dimensions;
  if (req.user !== undefined) params.user = req.user;
  return params;
}

/** The vectors in input order; an answer with a vector missing is a bad upstream answer. */
export function fromEmbeddings(answer: CreateEmbeddingResponse, inputs: number): EmbeddingResponse {
  const vectors = new Array<number[]>(inputs);
  for (const item of answer.data)
    if (item.index >= 0 && item.index < inputs) vectors[item.index] = item.embedding;
  for (let i = 0; i < inputs; i++) {
    if (vectors[i] === undefined)
      throw new ProviderError('invalid_output', `the embeddings answer has no vector ${i}`);
  }
  const input = answer.usage?.prompt_tokens ?? 0;
  return { vectors, usage: { input_tokens: input, output_tokens: 0, total_tokens: input } };
}
