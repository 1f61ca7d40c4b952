import type { ProviderConfig } from '../config.types';
import type { ProviderFactory } from './llm-provider';

/**
 * `providers.<name>.kind` → its factory, loaded on demand: each kind's module (and its SDK,
 * hundreds of modules) loads only when a provider of that kind is configured. A new provider is
 * a new folder plus one line here.
 */
export const PROVIDER_KINDS: Readonly<Record<string, () => Promise<ProviderFactory>>> = {
  openai: async () => (await import('./openai/openai.provider.js')).createOpenAiProvider,
  anthropic: async () => (await import('./anthropic/anthropic.provider.js')).createAnthropicProvider,
};

/** The factories of the kinds `providers` use (ProviderRegistry reports a kind none implements). */
export async function loadProviderKinds(
  providers: Readonly<Record<string, ProviderConfig>>,
  kinds: Readonly<Record<string, () => Promise<ProviderFactory>>> = PROVIDER_KINDS,
): Promise<Record<string, ProviderFactory>> {
  const used = [...new Set(Object.values(providers).map((p) => p.kind))].filter((kind) => kind in kinds);
  return Object.fromEntries(
    await Promise.all(used.map(async (kind) => [kind, await kinds[kind]!()] as const)),
  );
}
