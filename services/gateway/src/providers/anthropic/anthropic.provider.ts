import Anthropic from '@anthropic-ai/sdk';
import type { LlmRequest, LlmResponse, LlmStreamEvent } from '../../llm/llm.types';
import type { LlmProvider, ProviderCallOptions, ProviderContext, ProviderFactory } from '../llm-provider';
import { ProviderError, toProviderError } from '../provider-error';
import {
  anthropicRefusal,
  fromMessage,
  fromStopReason,
  fromUsage,
  newStreamState,
  readStreamEvent,
  toMessageParams,
  toMessageStreamParams,
} from './anthropic.mapping';

/** `kind: anthropic` — the Messages API through `@anthropic-ai/sdk`. */
export class AnthropicProvider implements LlmProvider {
  readonly refusal = anthropicRefusal;

  constructor(
    private readonly client: Anthropic,
    private readonly context: Pick<ProviderContext, 'clock'>,
  ) {}

  async complete(request: LlmRequest, { signal }: ProviderCallOptions): Promise<LlmResponse> {
    try {
      const message = await this.client.messages.create(toMessageParams(request), { signal });
      const response = fromMessage(message, request);
      response.response_model = message.model;
      response.response_id = message.id;
      return response;
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
  }

  async *stream(request: LlmRequest, { signal }: ProviderCallOptions): AsyncIterable<LlmStreamEvent> {
    const state = newStreamState();
    try {
      const stream = await this.client.messages.create(toMessageStreamParams(request), { signal });
      for await (const event of stream) {
        const delta = readStreamEvent(event, state, request.output_schema?.name);
        if (delta !== undefined) yield delta;
      }
    } catch (err) {
      throw toProviderError(err, this.context.clock.now());
    }
    // the SDK ends iteration silently when the signal aborts mid-stream
    if (!state.stopped) throw new ProviderError('network', 'stream ended before message_stop');
    const structured = request.output_schema !== undefined && state.toolBlocks.size === 0;
    const finish_reason = fromStopReason(state.stopReason, structured);
    yield {
      type: 'done',
      finish_reason,
      usage: fromUsage(state.usage),
      response_model: state.model,
      response_id: state.id,
    };
  }
}

const DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The gateway aborts each attempt with its own signal; the SDK timeout is only a backstop. */
const SDK_TIMEOUT_MS = 600_000;

/** Everything explicit, so the SDK reads nothing from env (ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN…). */
export const createAnthropicProvider: ProviderFactory = (config, context) =>
  new AnthropicProvider(
    new Anthropic({
      apiKey: context.apiKey,
      authToken: null,
      baseURL: config.base_url ?? DEFAULT_BASE_URL,
      maxRetries: 0, // the gateway owns retries
      timeout: SDK_TIMEOUT_MS,
      fetch: context.fetch,
    }),
    context,
  );
