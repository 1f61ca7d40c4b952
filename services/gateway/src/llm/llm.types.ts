import type { ChatMessage, Usage } from '@flywheel/contracts';
import type { JsonSchema } from '../config.types';

export type { ChatMessage, Usage };

/** Ask the provider for JSON matching `schema` (OpenAI json_schema, Anthropic forced tool). */
export interface OutputSchemaSpec {
  /** `^[A-Za-z0-9_-]{1,64}$`: the json_schema name / tool name. */
  name: string;
  schema: JsonSchema;
  /** OpenAI strict mode; omitted unless set. */
  strict?: boolean;
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
  usage: Usage;
  finish_reason: FinishReason;
}

/** What a provider stream yields: text deltas, then exactly one `done`. */
export type LlmStreamEvent =
  { type: 'delta'; text: string } | { type: 'done'; finish_reason: FinishReason; usage?: Usage };

export const ZERO_USAGE: Usage = Object.freeze({ input_tokens: 0, output_tokens: 0, total_tokens: 0 });
