import type { ChatMessage, ToolCall, Usage } from '@flywheel/contracts';
import type { JsonSchema } from '../config.types';

export type { ChatMessage, ToolCall, Usage };

/** Ask the provider for JSON matching `schema` (OpenAI json_schema, Anthropic forced tool). */
export interface OutputSchemaSpec {
  /** `^[A-Za-z0-9_-]{1,64}$`: the json_schema name / tool name. */
  name: string;
  schema: JsonSchema;
  /** OpenAI strict mode; omitted unless set. */
  strict?: boolean;
}

/** A function the model may call (OpenAI `tools[].function`, Anthropic `tools[]`). */
export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON Schema of the arguments; an empty object schema when the client sent none. */
  parameters: JsonSchema;
  /** OpenAI strict mode; omitted unless set. */
  strict?: boolean;
}

/** `auto`: the model decides; `none`: no call; `required`: some call; `{name}`: that function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * Client sampling and bookkeeping parameters of a direct model call, passed through to providers
 * that have them (the Anthropic mapping translates or refuses each; see the gateway README).
 */
export interface SamplingParams {
  stop?: string[];
  top_p?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  logit_bias?: Record<string, number>;
  logprobs?: boolean;
  top_logprobs?: number;
  reasoning_effort?: string;
  service_tier?: string;
  /** the end user's id, as OpenAI `user` / Anthropic `metadata.user_id` */
  user?: string;
  metadata?: Record<string, string>;
  verbosity?: string;
  prompt_cache_key?: string;
  safety_identifier?: string;
}

/** The one request shape every provider maps from. */
export interface LlmRequest {
  /** The provider's model name (`models.<id>.model`). */
  model: string;
  messages: readonly ChatMessage[];
  system?: string;
  temperature?: number;
  max_tokens?: number;
  output_schema?: OutputSchemaSpec;
  /** JSON mode without a schema (OpenAI `json_object`); ignored when `output_schema` is set. */
  json_object?: boolean;
  tools?: readonly ToolSpec[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  params?: SamplingParams;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_call' | 'other';

/** The one response shape every provider maps to. */
export interface LlmResponse {
  /** The answer text; for structured output, the JSON text as the model produced it. */
  text: string;
  /**
   * Structured output the provider already parsed (an Anthropic tool input). Providers that
   * return JSON as text leave it unset; the structured-output check parses `text`.
   */
  json?: unknown;
  /** Function calls the model asked for (the client's tools, never the structured-output tool). */
  tool_calls?: ToolCall[];
  usage: Usage;
  finish_reason: FinishReason;
  /** the model name the provider reports having answered with (traces only) */
  response_model?: string;
  /** the provider's id of this completion (traces only) */
  response_id?: string;
}

/** A piece of one function call: the first piece of a call carries its `id` and `name`. */
export interface ToolCallDelta {
  type: 'tool_call';
  /** the call's position among this answer's calls, 0-based */
  index: number;
  id?: string;
  name?: string;
  /** a fragment of the arguments' JSON text */
  arguments: string;
}

/** What a provider stream yields: text and tool-call deltas, then exactly one `done`. */
export type LlmStreamEvent =
  | { type: 'delta'; text: string }
  | ToolCallDelta
  | {
      type: 'done';
      finish_reason: FinishReason;
      usage?: Usage;
      /** as on {@link LlmResponse} */
      response_model?: string;
      response_id?: string;
    };

/** A streamed piece of the answer, as the chain hands it on. */
export type LlmDelta = Exclude<LlmStreamEvent, { type: 'done' }>;

export const ZERO_USAGE: Usage = Object.freeze({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });

/** One embeddings call (OpenAI `embeddings.create`). */
export interface EmbeddingRequest {
  /** The provider's model name (`models.<id>.model`). */
  model: string;
  input: readonly string[];
  dimensions?: number;
  user?: string;
}

export interface EmbeddingResponse {
  /** one vector per input, in input order */
  vectors: number[][];
  /** `output_tokens` is 0: embeddings bill input only */
  usage: Usage;
}
