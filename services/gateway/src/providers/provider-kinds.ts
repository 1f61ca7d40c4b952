import { createAnthropicProvider } from './anthropic/anthropic.provider';
import type { ProviderFactory } from './llm-provider';
import { createOpenAiProvider } from './openai/openai.provider';

/** `providers.<name>.kind` → factory. A new provider is a new folder plus one line here. */
export const PROVIDER_KINDS: Readonly<Record<string, ProviderFactory>> = {
  openai: createOpenAiProvider,
  anthropic: createAnthropicProvider,
};
