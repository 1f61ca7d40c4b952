import type { ModelConfig } from '../config.types';
import type { Usage } from '../llm/llm.types';

export type Price = ModelConfig['price'];

/** USD for `usage` at `price` (per million tokens), rounded to 1e-10 to drop float noise. */
export function costUsd(usage: Usage, price: Price): number {
  const raw = (usage.input_tokens * price.input_per_mtok + usage.output_tokens * price.output_per_mtok) / 1e6;
  return Math.round(raw * 1e10) / 1e10;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}
