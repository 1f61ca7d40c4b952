import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { CreateEmbeddingResponse } from 'openai/resources/embeddings';
import type {
  EmbeddingRequest,
  EmbeddingResponse,
  LlmRequest,
  LlmResponse,
  LlmStreamEvent,
  Usage,
} from '../../llm/llm.types';
import type { LlmProvider, ProviderCallOptions, ProviderContext, ProviderFactory } from '../llm-provider';
import { ProviderError, statusError, toProviderError } from '../provider-error';
import { SseDecoder } from '../sse-decoder';
import { MAX_ANSWER_BYTES, readErrorText, readJson } from '../upstream-body';
import {
  type UpstreamAnswer,
  type UpstreamPost,
  type UpstreamTarget,
  ResponseHeaders,
  upstreamTarget,
} from '../upstream-fetch';
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

/** One OpenAI-compatible API: where its endpoints are and the headers every call sends. */
export interface OpenAiEndpoint {
  chat: UpstreamTarget;
  embeddings: UpstreamTarget;
  headers: Readonly<Record<string, string>>;
}

export function openAiEndpoint(baseUrl: string, apiKey: string): OpenAiEndpoint {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    chat: upstreamTarget(`${base}/chat/completions`),
    embeddings: upstreamTarget(`${base}/embeddings`),
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': 'flywheel-gateway',
    },
  };
}

/** A stream chunk, or the error an OpenAI-compatible server may send mid-stream instead. */
type StreamData = ChatCompletionChunk & { error?: unknown };

/**
 * `kind: openai` — OpenAI and OpenAI-compatible servers (vLLM, Ollama…), over HTTP on the
 * gateway's connection pool: one JSON POST per call, the answer read as JSON or as server-sent
 * events. No SDK: the `openai` client's per-call machinery (its debug-log formatting, header
 * rebuilding, promise wrappers) cost more CPU than the rest of an upstream call. Its errors
 * are those the SDK gave: see {@link OpenAiProvider.errorOf}.
 */
export class OpenAiProvider implements LlmProvider {
  constructor(
    private readonly endpoint: OpenAiEndpoint,
    private readonly post: UpstreamPost,
    private readonly context: Pick<ProviderContext, 'clock'>,
  ) {}

  async complete(request: LlmRequest, { signal }: ProviderCallOptions): Promise<LlmResponse> {
    try {
      const answer = await this.call(this.endpoint.chat, toChatCompletionParams(request), signal);
      const completion = await readJson<ChatCompletion>(answer.body, answer.headers);
      const response = fromChatCompletion(completion);
      response.response_model = completion.model;
      response.response_id = completion.id;
      return response;
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
  }

  async *stream(request: LlmRequest, { signal }: ProviderCallOptions): AsyncIterable<LlmStreamEvent> {
    const state: StreamState = { ended: false };
    try {
      const answer = await this.call(this.endpoint.chat, toChatCompletionStreamParams(request), signal);
      const sse = new SseDecoder(MAX_ANSWER_BYTES);
      answer.body.setEncoding('utf8');
      // a `for await` over the body destroys it (closing the connection) if the consumer stops early
      for await (const text of answer.body as AsyncIterable<string>) {
        for (const data of sse.push(text)) yield* streamEvents(data, state);
      }
      sse.end();
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
    if (!state.finish) throw new ProviderError('network', 'stream ended before its finish_reason');
    yield {
      type: 'done',
      finish_reason: fromFinishReason(state.finish),
      usage: state.usage,
      response_model: state.model,
      response_id: state.id,
    };
  }

  async embed(request: EmbeddingRequest, { signal }: ProviderCallOptions): Promise<EmbeddingResponse> {
    try {
      const answer = await this.call(this.endpoint.embeddings, toEmbeddingParams(request), signal);
      const embeddings = await readJson<CreateEmbeddingResponse>(answer.body, answer.headers);
      return fromEmbeddings(embeddings, request.input.length);
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
  }

  /** The 2xx answer to one POST; any other status throws its error (the body read and dropped). */
  private async call(target: UpstreamTarget, params: object, signal: AbortSignal): Promise<UpstreamAnswer> {
    const answer = await this.post(target, this.endpoint.headers, JSON.stringify(params), signal);
    if (answer.statusCode >= 200 && answer.statusCode < 300) return answer;
    throw await this.errorOf(answer);
  }

  /**
   * The error of a non-2xx answer, as the `openai` SDK made it: message `<status> <the body's
   * error.message>` (the body's `error` as JSON when it has no message, the body's text when it
   * is not JSON), the class of the status, and the `retry-after-ms` / `retry-after` wait.
   */
  private async errorOf(answer: UpstreamAnswer): Promise<ProviderError> {
    const text = await readErrorText(answer.body);
    const json = parseJson(text) as { error?: unknown } | undefined;
    const message = errorMessage(answer.statusCode, json?.error, json ? undefined : text);
    const headers = new ResponseHeaders(answer.headers);
    return statusError(answer.statusCode, message, headers, this.context.clock.now());
  }
}

/** What a stream has told so far. */
interface StreamState {
  /** `[DONE]` came: later events are ignored */
  ended: boolean;
  finish?: string | null;
  usage?: Usage;
  model?: string;
  id?: string;
}

/** The events of one server-sent event's data (a chunk, `[DONE]`, or an error sent mid-stream). */
function* streamEvents(data: string, state: StreamState): Generator<LlmStreamEvent> {
  if (state.ended) return;
  if (data.startsWith('[DONE]')) {
    state.ended = true;
    return;
  }
  const chunk = JSON.parse(data) as StreamData;
  // as the SDK: an error event ends the stream like a cut (no status: `network`)
  if (chunk.error) throw new ProviderError('network', errorMessage(undefined, chunk.error, undefined));
  if (chunk.usage) state.usage = fromUsage(chunk.usage);
  state.model ??= chunk.model;
  state.id ??= chunk.id;
  const text = chunkText(chunk);
  if (text !== undefined) yield { type: 'delta', text };
  yield* chunkToolCalls(chunk);
  state.finish ??= chunkFinishReason(chunk);
}

/** The `openai` SDK's error message (`APIError.makeMessage`), kept so logs and attempts read the same. */
function errorMessage(status: number | undefined, error: unknown, text: string | undefined): string {
  const detail = (error as { message?: unknown } | null | undefined)?.message;
  const msg = detail
    ? typeof detail === 'string'
      ? detail
      : JSON.stringify(detail)
    : error
      ? JSON.stringify(error)
      : text;
  if (status && msg) return `${status} ${msg}`;
  if (status) return `${status} status code (no body)`;
  return msg || '(no status code or body)';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

const openAiProvider: ProviderFactory = (config, context) =>
  new OpenAiProvider(
    openAiEndpoint(config.base_url ?? DEFAULT_BASE_URL, context.apiKey),
    context.post,
    context,
  );

export const createOpenAiProvider: ProviderFactory = Object.assign(openAiProvider, { embeddings: true });
