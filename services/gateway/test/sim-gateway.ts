import { systemClock } from '@flywheel/platform';
import type { FlywheelConfig, ProviderConfig } from '../src/config.types';
import { createAnthropicProvider } from '../src/providers/anthropic/anthropic.provider';
import { createOpenAiProvider } from '../src/providers/openai/openai.provider';
import {
  Backoff,
  type BackoffOptions,
  type BreakerOptions,
  ChainExecutor,
  type ChainExecutorOptions,
  CircuitBreakers,
  mathRandom,
  ModelCatalog,
  ProviderRegistry,
  SchemaValidator,
  timerSleeper,
} from '../src';

/**
 * A gateway core wired to an upstream simulator through the real SDK clients: provider
 * `sim-openai` (kind openai, `${url}/v1`) and `sim-anthropic` (kind anthropic, `url`). Model
 * ids are `<kind>:<sim model name>`, e.g. `openai:sim-500`, created for whatever names a
 * test lists.
 */

export type Kind = ProviderConfig['kind'];
export const KINDS: readonly Kind[] = ['openai', 'anthropic'];
export const PRICE = { input_per_mtok: 3, output_per_mtok: 15 };

export interface SimGatewayOptions {
  breaker?: Partial<BreakerOptions>;
  backoff?: Partial<BackoffOptions>;
  chain?: Partial<ChainExecutorOptions>;
}

export function simGateway(
  simUrl: string,
  simModels: readonly string[],
  options: SimGatewayOptions = {},
): ChainExecutor {
  const providers: Record<string, ProviderConfig> = {
    'sim-openai': { kind: 'openai', base_url: `${simUrl}/v1`, api_key_env: 'SIM_API_KEY', timeout_ms: 5_000 },
    'sim-anthropic': { kind: 'anthropic', base_url: simUrl, api_key_env: 'SIM_API_KEY', timeout_ms: 5_000 },
  };
  const models: FlywheelConfig['models'] = {};
  for (const kind of KINDS) {
    for (const name of simModels)
      models[`${kind}:${name}`] = { provider: `sim-${kind}`, model: name, price: PRICE };
  }
  const registry = new ProviderRegistry(providers, {
    kinds: { openai: createOpenAiProvider, anthropic: createAnthropicProvider },
    env: { SIM_API_KEY: 'sk-sim-test' },
  });
  return new ChainExecutor(
    {
      catalog: new ModelCatalog({ providers, models }, registry),
      breakers: new CircuitBreakers({ consecutiveFailures: 50, halfOpenAfterMs: 60_000, ...options.breaker }),
      backoff: new Backoff(
        { baseMs: 20, maxMs: 100, retryAfterCapMs: 2_000, ...options.backoff },
        mathRandom,
      ),
      validator: new SchemaValidator(),
      clock: systemClock,
      sleeper: timerSleeper,
    },
    options.chain,
  );
}

/** `start + latency` of one attempt to the `started_at` of the next: the wait between them. */
export function gapMs(
  before: { started_at: string; latency_ms: number },
  after: { started_at: string },
): number {
  return Date.parse(after.started_at) - (Date.parse(before.started_at) + before.latency_ms);
}
