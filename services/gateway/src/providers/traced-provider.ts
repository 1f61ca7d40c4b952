import { type GenAiCall, type GenAiSpan, startGenAiSpan } from '@flywheel/platform';
import type { ProviderConfig } from '../config.types';
import type { EmbeddingRequest, LlmRequest, LlmResponse, LlmStreamEvent } from '../llm/llm.types';
import type { LlmProvider, ProviderCallOptions } from './llm-provider';
import { ProviderError } from './provider-error';

/** Where a provider kind's SDK goes when `base_url` is not set. */
const DEFAULT_HOSTS: Readonly<Record<string, string>> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
};

/** What every call of one configured provider has in common. */
interface ProviderIdentity {
  kind: string;
  server?: { address: string; port: number };
}

/**
 * `provider` with one OpenTelemetry GenAI span per upstream call (`chat <model>`, see
 * `@flywheel/platform` gen-ai.ts; `embeddings <model>` for embed()): complete(), stream() and
 * embed() are traced, every other member is the
 * provider's own (the wrapper delegates through its prototype). A stream's span ends at its
 * `done` event, at its error, or when its consumer stops reading (`error.type: cancelled`). When
 * nothing records the span (tracing off, trace not sampled) the call goes straight through.
 */
export function tracedProvider(
  provider: LlmProvider,
  config: Pick<ProviderConfig, 'kind' | 'base_url'>,
): LlmProvider {
  const identity: ProviderIdentity = { kind: config.kind };
  const server = serverOf(config.base_url ?? DEFAULT_HOSTS[config.kind]);
  if (server) identity.server = server;
  const traced = Object.create(provider) as LlmProvider;
  traced.complete = (request, options) => {
    const span = startGenAiSpan(chatCall(identity, request));
    return span ? completeTraced(provider, span, request, options) : provider.complete(request, options);
  };
  traced.stream = (request, options) => {
    const span = startGenAiSpan(chatCall(identity, request));
    return span ? streamTraced(provider, span, request, options) : provider.stream(request, options);
  };
  const embed = provider.embed?.bind(provider);
  if (embed) {
    traced.embed = async (request, options) => {
      const span = startGenAiSpan(embeddingsCall(identity, request));
      if (!span) return embed(request, options);
      try {
        const response = await span.run(() => embed(request, options));
        span.end({ inputTokens: response.usage.input_tokens });
        return response;
      } catch (err) {
        span.fail(errorType(err));
        throw err;
      }
    };
  }
  return traced;
}

async function completeTraced(
  provider: LlmProvider,
  span: GenAiSpan,
  request: LlmRequest,
  options: ProviderCallOptions,
): Promise<LlmResponse> {
  try {
    const response = await span.run(() => provider.complete(request, options));
    span.end({
      responseModel: response.response_model,
      responseId: response.response_id,
      finishReasons: [response.finish_reason],
      inputTokens: response.usage.input_tokens,
      outputTokens: response.usage.output_tokens,
    });
    return response;
  } catch (err) {
    span.fail(errorType(err));
    throw err;
  }
}

async function* streamTraced(
  provider: LlmProvider,
  span: GenAiSpan,
  request: LlmRequest,
  options: ProviderCallOptions,
): AsyncGenerator<LlmStreamEvent, void, undefined> {
  // the provider's generator runs (and its SDK fetches) in the context of whoever calls next():
  // call it inside the span, so the HTTP span is the GenAI span's child
  const inner = span.run(() => provider.stream(request, options)[Symbol.asyncIterator]());
  const bound: AsyncIterable<LlmStreamEvent> = {
    [Symbol.asyncIterator]: () => ({
      next: () => span.run(() => inner.next()),
      return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
    }),
  };
  try {
    for await (const event of bound) {
      if (event.type === 'done') {
        span.end({
          responseModel: event.response_model,
          responseId: event.response_id,
          finishReasons: [event.finish_reason],
          inputTokens: event.usage?.input_tokens,
          outputTokens: event.usage?.output_tokens,
        });
      }
      yield event;
    }
  } catch (err) {
    span.fail(errorType(err));
    throw err;
  } finally {
    // ended already unless the consumer stopped reading before `done`
    span.fail('cancelled');
  }
}

function chatCall(identity: ProviderIdentity, request: LlmRequest): GenAiCall {
  const call: GenAiCall = { operation: 'chat', provider: identity.kind, requestModel: request.model };
  if (identity.server) call.server = identity.server;
  const params = request.params;
  const r: NonNullable<GenAiCall['request']> = {};
  if (request.max_tokens !== undefined) r.max_tokens = request.max_tokens;
  if (request.temperature !== undefined) r.temperature = request.temperature;
  if (params?.top_p !== undefined) r.top_p = params.top_p;
  if (params?.seed !== undefined) r.seed = params.seed;
  if (params?.frequency_penalty !== undefined) r.frequency_penalty = params.frequency_penalty;
  if (params?.presence_penalty !== undefined) r.presence_penalty = params.presence_penalty;
  if (params?.stop !== undefined) r.stop_sequences = params.stop;
  call.request = r;
  call.outputType = request.output_schema !== undefined || request.json_object === true ? 'json' : 'text';
  return call;
}

function embeddingsCall(identity: ProviderIdentity, request: EmbeddingRequest): GenAiCall {
  const call: GenAiCall = { operation: 'embeddings', provider: identity.kind, requestModel: request.model };
  if (identity.server) call.server = identity.server;
  return call;
}

/** `error.type`: the gateway's error class (`rate_limited`, `timeout`, `server_error`…). */
function errorType(err: unknown): string {
  // providers throw only ProviderError; `_OTHER` is the conventions' fallback
  return err instanceof ProviderError ? err.errorClass : '_OTHER';
}

function serverOf(url: string | undefined): ProviderIdentity['server'] {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { address: u.hostname, port };
  } catch {
    return undefined;
  }
}
