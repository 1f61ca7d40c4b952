import type { ProviderConfig } from '../config.types';
import type { LlmProvider, ProviderFactory } from './llm-provider';
import { ProviderRegistry } from './provider-registry';

const config = (kind: ProviderConfig['kind'], api_key_env: string): ProviderConfig => ({
  kind,
  api_key_env,
  timeout_ms: 1_000,
});

describe('ProviderRegistry', () => {
  const built: { name: string; apiKey: string }[] = [];
  const factory =
    (name: string): ProviderFactory =>
    (_config, context) => {
      built.push({ name, apiKey: context.apiKey });
      return { name } as unknown as LlmProvider;
    };

  beforeEach(() => (built.length = 0));

  it('builds one client per provider by kind, with the key read from its env var', () => {
    const registry = new ProviderRegistry(
      { main: config('openai', 'MAIN_KEY'), claude: config('anthropic', 'CLAUDE_KEY') },
      {
        kinds: { openai: factory('openai'), anthropic: factory('anthropic') },
        env: { MAIN_KEY: 'sk-main', CLAUDE_KEY: 'sk-claude' },
      },
    );
    expect(built).toEqual([
      { name: 'openai', apiKey: 'sk-main' },
      { name: 'anthropic', apiKey: 'sk-claude' },
    ]);
    // each provider is wrapped for tracing; the wrapper delegates to it through its prototype
    expect(Object.getPrototypeOf(registry.get('main'))).toEqual({ name: 'openai' });
    expect(registry.get('main')).toBe(registry.get('main'));
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.missingKeys).toEqual([]);
  });

  it('answers every call of a provider whose key is unset with an auth error, without a client', async () => {
    const registry = new ProviderRegistry(
      { main: config('openai', 'UNSET_KEY') },
      { kinds: { openai: factory('openai') }, env: {} },
    );
    expect(built).toEqual([]);
    expect(registry.missingKeys).toEqual(['main']);
    const provider = registry.get('main') as LlmProvider;
    const signal = new AbortController().signal;
    await expect(provider.complete({ model: 'm', messages: [] }, { signal })).rejects.toMatchObject({
      errorClass: 'auth',
      message: 'API key environment variable UNSET_KEY is not set',
    });
    const iterator = provider.stream({ model: 'm', messages: [] }, { signal })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toMatchObject({ errorClass: 'auth' });
    expect(provider.embed).toBeUndefined(); // this test kind has no embeddings
  });

  it('keeps a keyless provider of an embeddings kind able to embed (failing with auth), so boot checks pass', async () => {
    const embedding = Object.assign(factory('openai'), { embeddings: true });
    const registry = new ProviderRegistry(
      { main: config('openai', 'UNSET_KEY') },
      { kinds: { openai: embedding }, env: {} },
    );
    expect(built).toEqual([]);
    const embed = (registry.get('main') as LlmProvider).embed;
    expect(embed).toBeDefined();
    await expect(
      embed?.({ model: 'e', input: ['x'] }, { signal: new AbortController().signal }),
    ).rejects.toMatchObject({ errorClass: 'auth' });
  });

  it('refuses a kind no provider implements', () => {
    expect(
      () => new ProviderRegistry({ x: config('anthropic', 'K') }, { kinds: {}, env: { K: 'k' } }),
    ).toThrow('providers.x.kind: no provider of kind "anthropic" (kinds: none)');
  });
});
