import type { EmbeddingsResponse } from '@flywheel/contracts';
import type { EmbeddingResult } from '../chain/chain-executor';
import { answerMeta } from '../http/answer-headers';
import type { Interaction } from '../interactions/interaction.service';

/** A vector as OpenAI's `encoding_format: "base64"` sends it: little-endian float32, base64. */
export function base64Vector(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes.toString('base64');
}

export function embeddingsResponse(
  interaction: Interaction,
  result: EmbeddingResult,
  encoding: 'float' | 'base64',
): EmbeddingsResponse {
  return {
    object: 'list',
    data: result.vectors.map((vector, index) => ({
      object: 'embedding' as const,
      index,
      embedding: encoding === 'base64' ? base64Vector(vector) : vector,
    })),
    model: result.final_model,
    usage: { prompt_tokens: result.usage.input_tokens, total_tokens: result.usage.total_tokens },
    flywheel: answerMeta(interaction, result.final_model),
  };
}
