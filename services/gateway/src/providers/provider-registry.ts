import { type Clock, ConfigError, systemClock } from '@flywheel/platform';
import type { ProviderConfig } from '../config.types';
import type { LlmProvider, ProviderFactory } from './llm-provider';
import { ProviderError } from './provider-error';
import { tracedProvider } from './traced-provider';
import { UpstreamHttp } from './upstream-fetch';

/**
 * Answers every call with `auth`, without a network call: the provider's key env var is unset.
 * It has `embed` when its kind has (so the boot check of embedding models does not depend on a key).
 */
class MissingKeyProvider implements LlmProvider {
  readonly embed?: () => Promise<never>;

  constructor(
    private readonly envVar: string,
    embeds: boolean,
  ) {
    if (embeds) this.embed = () => Promise.reject(this.error());
  }
  private error(): ProviderError {
    return new ProviderError('auth', `API key environment variable ${this.envVar} is not set`);
  }
  complete(): Promise<never> {
    return Promise.reject(this.error());
  }
  // eslint-disable-next-line require-yield -- fails before the first event, by design
  async *stream(): AsyncIterable<never> {
    throw this.error();
  }
}

export interface ProviderRegistryOptions {
  /** factories by `kind`: the gateway passes those of the configured kinds (loadProviderKinds) */
  kinds: Readonly<Record<string, ProviderFactory>>;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

/** One client per configured provider, built once at boot, all on one upstream connection pool, each call traced. */
export class ProviderRegistry {
  private readonly providers = new Map<string, LlmProvider>();
  private readonly http = new UpstreamHttp();
  /** Providers whose `api_key_env` is unset (their calls fail with `auth`). */
  readonly missingKeys: readonly string[];

  constructor(configs: Readonly<Record<string, ProviderConfig>>, options: ProviderRegistryOptions) {
    const kinds = options.kinds;
    const env = options.env ?? process.env;
    const clock = options.clock ?? systemClock;
    const missing: string[] = [];
    for (const [name, config] of Object.entries(configs)) {
      const factory = kinds[config.kind];
      if (!factory) {
        const known = Object.keys(kinds).join(', ') || 'none';
        throw new ConfigError('flywheel.yaml', [
          {
            path: `providers.${name}.kind`,
            message: `no provider of kind "${config.kind}" (kinds: ${known})`,
          },
        ]);
      }
      const apiKey = env[config.api_key_env];
      if (apiKey === undefined || apiKey === '') {
        missing.push(name);
        this.providers.set(name, new MissingKeyProvider(config.api_key_env, factory.embeddings === true));
      } else {
        this.providers.set(
          name,
          tracedProvider(
            factory(config, { apiKey, clock, fetch: this.http.fetch, post: this.http.post }),
            config,
          ),
        );
      }
    }
    this.missingKeys = missing;
  }

  get(name: string): LlmProvider | undefined {
    return this.providers.get(name);
  }

  /** Closes the upstream connections (after the last call has ended). */
  close(): Promise<void> {
    return this.http.close();
  }
}
