import type { ChatCompletionResponse } from '@flywheel/contracts';
import type { ChainResult } from '../fallback/chain-executor';
import { answerMeta } from '../http/answer-headers';
import type { Interaction } from '../interactions/interaction.service';
import type { FinishReason, Usage } from '../llm/llm.types';

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
        message: { role: 'assistant', content: result.response.text, refusal: null },
        finish_reason: FINISH[result.response.finish_reason],
        logprobs: null,
      },
    ],
    usage: openAiUsage(result.usage),
    flywheel: answerMeta(interaction, result.final_model),
  };
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

  /** The first chunk: the role, the first text and the `flywheel` object. */
  first(text: string, meta: object): string {
    return `${this.head}{"role":"assistant","content":${JSON.stringify(text)}},"finish_reason":null}],"flywheel":${JSON.stringify(meta)}}\n\n`;
  }

  delta(text: string): string {
    return `${this.head}{"content":${JSON.stringify(text)}},"finish_reason":null}]}\n\n`;
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

/** The event that ends a stream that broke: never a silent clean end, never `[DONE]`. */
export function sseError(type: string, message: string): string {
  return `data: ${JSON.stringify({ error: { type, message } })}\n\n`;
}
