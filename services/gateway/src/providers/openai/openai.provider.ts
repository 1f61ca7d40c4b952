import OpenAI from 'openai';
import type {
  EmbeddingRequest,
  EmbeddingResponse,
  LlmRequest,
  LlmResponse,
  LlmStreamEvent,
  Usage,
} from '../../llm/llm.types';
import type { LlmProvider, ProviderCallOptions, ProviderContext, ProviderFactory } from '../llm-provider';
import { ProviderError, toProviderError } from '../provider-error';
import {
  chunkFinishReason,
  chunkToolCalls,
  chunkText,
  fromChatCompletion,
  fromEmbeddings,
  fromFinishReason,
  fromUsage,
  toChatCompletionParams,
  toChatCompletionStreamParams,
  toEmbeddingParams,
} from './openai.mapping';

/** `kind: openai` — OpenAI and OpenAI-compatible servers through the `openai` SDK. */
export class OpenAiProvider implements LlmProvider {
  constructor(
    private readonly client: OpenAI,
    private readonly context: Pick<ProviderContext, 'clock'>,
  ) {}

  async complete(request: LlmRequest, { signal }: ProviderCallOptions): Promise<LlmResponse> {
    try {
      const completion = await this.client.chat.completions.create(toChatCompletionParams(request), {
        signal,
      });
      const response = fromChatCompletion(completion);
      response.response_model = completion.model;
      response.response_id = completion.id;
      return response;
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
  }

  async *stream(request: LlmRequest, { signal }: ProviderCallOptions): AsyncIterable<LlmStreamEvent> {
    let finish: string | null | undefined;
    let usage: Usage | undefined;
    let model: string | undefined;
    let id: string | undefined;
    try {
      const stream = await this.client.chat.completions.create(toChatCompletionStreamParams(request), {
        signal,
      });
      for await (const chunk of stream) {
        if (chunk.usage) usage = fromUsage(chunk.usage);
        model ??= chunk.model;
        id ??= chunk.id;
        const text = chunkText(chunk);
        if (text !== undefined) yield { type: 'delta', text };
        yield* chunkToolCalls(chunk);
        finish ??= chunkFinishReason(chunk);
      }
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
    // the SDK ends iteration silently when the signal aborts mid-stream
    if (!finish) throw new ProviderError('network', 'stream ended before its finish_reason');
    yield {
      type: 'done',
      finish_reason: fromFinishReason(finish),
      usage,
      response_model: model,
      response_id: id,
    };
  }

  async embed(request: EmbeddingRequest, { signal }: ProviderCallOptions): Promise<EmbeddingResponse> {
    try {
      const answer = await this.client.embeddings.create(toEmbeddingParams(request), { signal });
      return fromEmbeddings(answer, request.input.length);
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
  }
}

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** The gateway aborts each attempt with its own signal; the SDK timeout is only a backstop. */
const SDK_TIMEOUT_MS = 600_000;

/** Everything explicit, so the SDK reads nothing from env (OPENAI_BASE_URL, OPENAI_ORG_ID…). */
const openAiProvider: ProviderFactory = (config, context) =>
  new OpenAiProvider(
    new OpenAI({
      apiKey: context.apiKey,
      baseURL: config.base_url ?? DEFAULT_BASE_URL,
      organization: null,
      project: null,
      maxRetries: 0, // the gateway owns retries
      timeout: SDK_TIMEOUT_MS,
      fetch: context.fetch,
    }),
    context,
  );

export const createOpenAiProvider: ProviderFactory = Object.assign(openAiProvider, { embeddings: true });
