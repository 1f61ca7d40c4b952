import type { Clock } from '@flywheel/platform';
import type { ProviderConfig } from '../config.types';
import type {
  EmbeddingRequest,
  EmbeddingResponse,
  LlmRequest,
  LlmResponse,
  LlmStreamEvent,
  SamplingParams,
} from '../llm/llm.types';
import type { UpstreamFetch, UpstreamPost } from './upstream-fetch';

export interface ProviderCallOptions {
  /** Aborts the upstream call: caller disconnect, attempt timeout or deadline. */
  signal: AbortSignal;
}

/**
 * One upstream API. Implementations map {@link LlmRequest} to their SDK and back, make no
 * retries of their own, and throw only {@link ProviderError} (see `provider-error.ts`).
 */
/** A client request field a provider may not be able to take (see `LlmProvider.refusal`). */
/** A client parameter a provider may refuse; `temperature` only on direct calls (a route's variant sets its own). */
export type RequestField = keyof SamplingParams | 'json_object' | 'temperature';

export interface LlmProvider {
  /**
   * Why this API cannot take the client's `field` = `value` (the gateway refuses the request
   * with a 400 naming the field before any call), or undefined when it can. Absent: takes all.
   */
  refusal?(field: RequestField, value: unknown): string | undefined;

  complete(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse>;
  /**
   * Text deltas, then one `done`. A stream that ends without its final event (cut, or
   * silently ended by an abort) throws instead of returning.
   */
  stream(request: LlmRequest, options: ProviderCallOptions): AsyncIterable<LlmStreamEvent>;
  /** Vectors for the inputs; absent when the API has no embeddings (models marked `embedding` need it). */
  embed?(request: EmbeddingRequest, options: ProviderCallOptions): Promise<EmbeddingResponse>;
}

export interface ProviderContext {
  /** `process.env[api_key_env]`, read once when the provider is built; never logged. */
  apiKey: string;
  clock: Clock;
  /** the HTTP transport to give an SDK (its `fetch` option); shared by every provider */
  fetch: UpstreamFetch;
  /** a JSON POST on the same connection pool, for providers that speak HTTP themselves */
  post: UpstreamPost;
}

/**
 * Builds the provider of one `providers.<name>` entry; called once per provider at boot.
 * `embeddings: true` when its providers have `embed` (known without building one).
 */
export type ProviderFactory = ((config: ProviderConfig, context: ProviderContext) => LlmProvider) & {
  readonly embeddings?: boolean;
};
