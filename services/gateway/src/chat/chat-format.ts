import type { ChatCompletionResponse } from '@flywheel/contracts';
import type { ChainResult } from '../chain/chain-executor';
import { answerMeta } from '../http/answer-headers';
import type { SseFormat } from '../http/sse-stream.writer';
import type { Interaction } from '../interactions/interaction.service';
import type { FinishReason, LlmDelta, ToolCall, ToolCallDelta, Usage } from '../llm/llm.types';

/** The OpenAI Chat Completions shapes of an answer (whole, or streamed chunk by chunk). */

type OpenAiFinishReason = ChatCompletionResponse['choices'][number]['finish_reason'];

const FINISH: Record<FinishReason, OpenAiFinishReason> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_call: 'tool_calls',
  other: 'stop',
};

export function openAiFinishReason(reason: FinishReason): OpenAiFinishReason {
  return FINISH[reason];
}

export function openAiUsage(u: Usage): ChatCompletionResponse['usage'] {
  return { prompt_tokens: u.input_tokens, completion_tokens: u.output_tokens, total_tokens: u.total_tokens };
}

export function completionId(interaction: Interaction): string {
  return `chatcmpl-${interaction.id}`;
}

export function chatCompletion(interaction: Interaction, result: ChainResult): ChatCompletionResponse {
  return {
    id: completionId(interaction),
    object: 'chat.completion',
    created: Math.floor(interaction.startedAt / 1000),
    model: result.final_model,
    choices: [
      {
        index: 0,
        message: assistantMessage(result.response.text, result.response.tool_calls),
        finish_reason: FINISH[result.response.finish_reason],
        logprobs: null,
      },
    ],
    usage: openAiUsage(result.usage),
    flywheel: answerMeta(interaction, result.final_model),
  };
}

type AssistantMessage = ChatCompletionResponse['choices'][number]['message'];

/** An answer's message: text, or (with `content: null` when there is no text) function calls. */
function assistantMessage(text: string, toolCalls: readonly ToolCall[] | undefined): AssistantMessage {
  if (toolCalls === undefined) return { role: 'assistant', content: text, refusal: null };
  return {
    role: 'assistant',
    content: text === '' ? null : text,
    refusal: null,
    tool_calls: toolCalls.map((c) => ({
      id: c.id,
      type: 'function' as const,
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}

/** A streamed tool-call piece in OpenAI's delta shape (id, type and name only on a call's first piece). */
function toolCallJson(d: ToolCallDelta): string {
  const fn = d.name === undefined ? { arguments: d.arguments } : { name: d.name, arguments: d.arguments };
  const call =
    d.id === undefined
      ? { index: d.index, function: fn }
      : { index: d.index, id: d.id, type: 'function', function: fn };
  return `"tool_calls":[${JSON.stringify(call)}]`;
}

/**
 * `data:` lines of one streamed answer. The constant head of every chunk is built once, so each
 * delta costs one JSON.stringify of its text and a concatenation.
 */
export class ChunkFormat {
  private readonly head: string;

  constructor(
    private readonly id: string,
    private readonly created: number,
    private readonly model: string,
  ) {
    this.head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
  }

  /** The first chunk: the role, the first text (or tool-call piece) and the `flywheel` object. */
  first(delta: LlmDelta | string, meta: object): string {
    const body =
      typeof delta === 'string' || delta.type === 'delta'
        ? `"content":${JSON.stringify(typeof delta === 'string' ? delta : delta.text)}`
        : `"content":null,${toolCallJson(delta)}`;
    return `${this.head}{"role":"assistant",${body}},"finish_reason":null}],"flywheel":${JSON.stringify(meta)}}\n\n`;
  }

  delta(delta: LlmDelta | string): string {
    const body =
      typeof delta === 'string' || delta.type === 'delta'
        ? `"content":${JSON.stringify(typeof delta === 'string' ? delta : delta.text)}`
        : toolCallJson(delta);
    return `${this.head}{${body}},"finish_reason":null}]}\n\n`;
  }

  finish(reason: FinishReason): string {
    return `${this.head}{},"finish_reason":"${FINISH[reason]}"}]}\n\n`;
  }

  usage(usage: Usage): string {
    return `data: ${JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [],
      usage: openAiUsage(usage),
    })}\n\n`;
  }
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** The event that ends a stream that broke, in the error shape of the API: never a silent clean end, never `[DONE]`. */
export function sseError(code: string, message: string): string {
  return `data: ${JSON.stringify({ error: { type: code, code, param: null, message } })}\n\n`;
}

/** The Chat Completions stream of one interaction: chunks, the finish chunk, the usage chunk if asked, `[DONE]`. */
export function chatSseFormat(interaction: Interaction, includeUsage: boolean): (model: string) => SseFormat {
  return (model) => {
    const chunks = new ChunkFormat(
      completionId(interaction),
      Math.floor(interaction.startedAt / 1000),
      model,
    );
    return {
      first: (delta, meta) => chunks.first(delta ?? '', meta),
      delta: (delta) => chunks.delta(delta),
      end: (result) =>
        chunks.finish(result.response.finish_reason) +
        (includeUsage ? chunks.usage(result.usage) : '') +
        SSE_DONE,
      error: sseError,
    };
  };
}
