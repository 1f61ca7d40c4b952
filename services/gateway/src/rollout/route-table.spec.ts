import { ConfigError, ManualClock } from '@flywheel/platform';
import { ChainExecutor } from '../chain/chain-executor';
import { ModelCatalog } from '../chain/model-catalog';
import { createAnthropicProvider } from '../providers/anthropic/anthropic.provider';
import { createOpenAiProvider } from '../providers/openai/openai.provider';
import { ProviderRegistry } from '../providers/provider-registry';
import { Backoff } from '../resilience/backoff';
import { CircuitBreakers } from '../resilience/circuit-breakers';
import { SchemaValidator } from '../structured/schema-validator';
import { RouteTable } from './route-table';

const providers = {
  p: { kind: 'openai' as const, api_key_env: 'K', timeout_ms: 1000 },
  a: { kind: 'anthropic' as const, api_key_env: 'K', timeout_ms: 1000 },
};
const price = { input_per_mtok: 0, output_per_mtok: 0 };
const models = {
  m: { provider: 'p', model: 'm', price },
  e: { provider: 'p', model: 'text-embedding-3-small', price, embedding: true },
};
const executor = (catalogModels: Record<string, (typeof models)['m'] & { embedding?: boolean }> = models) => {
  const clock = new ManualClock(0);
  const registry = new ProviderRegistry(providers, {
    kinds: { openai: createOpenAiProvider, anthropic: createAnthropicProvider },
    env: {},
    clock,
  });
  return new ChainExecutor({
    catalog: new ModelCatalog({ providers, models: catalogModels }, registry),
    breakers: new CircuitBreakers(),
    backoff: new Backoff({ baseMs: 1, maxMs: 1, retryAfterCapMs: 1 }, { next: () => 0 }),
    validator: new SchemaValidator(),
    clock,
    sleeper: { sleep: () => Promise.resolve() },
  });
};

describe('RouteTable', () => {
  it('stops boot naming every variant that cannot be prepared', () => {
    let error: unknown;
    try {
      new RouteTable(
        {
          models,
          routes: {
            good: {
              flag: 'g',
              default_variant: 'a',
              variants: { a: { chain: ['m'], allow_client_system: false } },
            },
            bad: {
              flag: 'b',
              default_variant: 'a',
              variants: {
                a: { chain: ['m', 'ghost'], allow_client_system: false },
                b: { chain: ['m'], allow_client_system: false, output_schema: { type: 'no-such-type' } },
              },
            },
          },
        },
        executor(),
        'test.yaml',
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/test\.yaml/);
    expect(message).toMatch(/routes\.bad\.variants\.a: unknown model "ghost"/);
    expect(message).toMatch(/routes\.bad\.variants\.b: /);
    expect(message).not.toMatch(/routes\.good/);
  });

  it('stops boot on a chain that mixes embedding and chat models, or an embedding route with a schema', () => {
    const variant = (chain: string[], extra = {}) => ({
      flag: 'f',
      default_variant: 'a',
      variants: { a: { chain, allow_client_system: false, ...extra } },
    });
    let error: unknown;
    try {
      new RouteTable(
        {
          models,
          routes: {
            mixed: variant(['e', 'm']),
            typed: variant(['e'], { output_schema: { type: 'object' } }),
            fine: variant(['e']),
          },
        },
        executor(),
        'test.yaml',
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(
      /routes\.mixed\.variants\.a: chain mixes embedding models \(e\) with chat models \(m\)/,
    );
    expect(message).toMatch(/routes\.typed\.variants\.a: an output_schema needs chat models/);
    expect(message).not.toMatch(/routes\.fine/);
    const table = new RouteTable({ models, routes: { fine: variant(['e']) } }, executor());
    expect(table.route('fine')).toBeDefined();
  });

  it('refuses an embedding model whose provider has no embeddings API', () => {
    expect(() =>
      executor({ ...models, c: { provider: 'a', model: 'claude', price, embedding: true } }),
    ).toThrow('models.c.embedding: provider "a" (kind anthropic) has no embeddings API');
  });

  it('resolves routes and direct one-model chains, sharing the chain when the client sets nothing', () => {
    const table = new RouteTable({ models, routes: {} }, executor());
    expect(table.route('nope')).toBeUndefined();
    expect(table.directChain('ghost', {})).toBeUndefined();
    expect(table.directChain('m', {})).toBe(table.directChain('m', {}));
    expect(table.directChain('m', { temperature: 0.2, max_tokens: 5 })).toEqual({
      chain: ['m'],
      temperature: 0.2,
      max_tokens: 5,
    });
  });
});
