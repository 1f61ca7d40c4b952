import { createHash } from 'node:crypto';
import { invalid, isRecord, positiveInt, type SimError } from './providers/dialect';

/**
 * `POST /v1/embeddings` (OpenAI's shape): deterministic vectors. Each input's vector is seeded by
 * the SHA-256 of its text, unit length, `dimensions` long (default {@link DEFAULT_DIMENSIONS});
 * the same text always gets the same vector, and a shortened vector is a prefix renormalized,
 * as OpenAI's `dimensions` does.
 */

export const DEFAULT_DIMENSIONS = 256;
const MAX_DIMENSIONS = 4096;

export interface EmbeddingsSimRequest {
  model: string;
  input: string[];
  dimensions: number;
  base64: boolean;
}

export function parseEmbeddings(body: unknown): EmbeddingsSimRequest | SimError {
  if (!isRecord(body)) return invalid('body must be a JSON object');
  if (typeof body.model !== 'string' || body.model === '') return invalid('model is required', 'model');
  const raw = body.input;
  const input = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(input) || input.length === 0 || !input.every((i) => typeof i === 'string' && i !== ''))
    return invalid('input must be a non-empty string or array of non-empty strings', 'input');
  const dimensions = body.dimensions === undefined ? DEFAULT_DIMENSIONS : positiveInt(body.dimensions);
  if (dimensions === undefined || dimensions > MAX_DIMENSIONS)
    return invalid(`dimensions must be an integer from 1 to ${MAX_DIMENSIONS}`, 'dimensions');
  const format = body.encoding_format;
  if (format !== undefined && format !== 'float' && format !== 'base64')
    return invalid("encoding_format must be 'float' or 'base64'", 'encoding_format');
  return { model: body.model, input: input as string[], dimensions, base64: format === 'base64' };
}

/** xorshift32 from a 32-bit seed: uniform in [-1, 1). */
function generator(seed: number): () => number {
  let x = seed || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x80000000 - 1;
  };
}

export function simVector(text: string, dimensions: number): number[] {
  const next = generator(createHash('sha256').update(text).digest().readUInt32LE(0));
  const v = Array.from({ length: dimensions }, next);
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

function base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
  return bytes.toString('base64');
}

/** About four characters a token, at least one per input. */
function tokens(input: readonly string[]): number {
  return input.reduce((n, text) => n + Math.max(1, Math.ceil(text.length / 4)), 0);
}

export function embeddingsAnswer(req: EmbeddingsSimRequest): object {
  const used = tokens(req.input);
  return {
    object: 'list',
    data: req.input.map((text, index) => {
      const vector = simVector(text, req.dimensions);
      return { object: 'embedding', index, embedding: req.base64 ? base64(vector) : vector };
    }),
    model: req.model,
    usage: { prompt_tokens: used, total_tokens: used },
  };
}
