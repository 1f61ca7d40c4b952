import { z } from 'zod';
import { FlywheelAnswerMeta } from './gateway';

/**
 * `POST /v1/embeddings` (OpenAI's shape): text inputs through an embedding model or a route of
 * embedding models. Token-array inputs are refused (the gateway records text).
 */

const MAX_INPUTS = 2048;
const MAX_TARGETING_KEY = 512;

const Input = z.string().min(1, 'an input may not be empty');

export const EmbeddingsRequest = z.strictObject({
  /** `route:<name>` (a route whose chain is embedding models) or an embedding model id */
  model: z.string().min(1).max(256),
  input: z.union([Input, z.array(Input).min(1).max(MAX_INPUTS)], {
    error: 'expected a string or an array of strings (token arrays are not supported)',
  }),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().max(65_536).optional(),
  /** the targeting key; header `x-flywheel-user` otherwise; also forwarded */
  user: z.string().min(1).max(MAX_TARGETING_KEY).optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

export const EmbeddingsResponse = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      object: z.literal('embedding'),
      index: z.number().int().nonnegative(),
      /** floats, or base64 of little-endian float32 with `encoding_format: "base64"` */
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.object({
    prompt_tokens: z.number().int().nonnegative(),
    total_tokens: z.number().int().nonnegative(),
  }),
  flywheel: FlywheelAnswerMeta,
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponse>;
