import type { FlywheelConfig } from '../config.types';
import type { LlmProvider } from '../providers/llm-provider';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { Price } from '../pricing/cost';

/** A `models.<id>` entry joined with its provider: everything one attempt needs. */
export interface ModelRoute {
  /** The model id in `models` (what chains, attempts and events name). */
  id: string;
  /** The provider's name in `providers`. */
  providerName: string;
  provider: LlmProvider;
  /** The provider's model name. */
  model: string;
  price: Price;
  /** `providers.<name>.timeout_ms`: the attempt timeout unless the variant sets one. */
  timeoutMs: number;
  /** `models.<id>.embedding`: serves embeddings, not chat. */
  embedding: boolean;
}

/** Every configured model, resolved once at boot. */
export class ModelCatalog {
  private readonly routes = new Map<string, ModelRoute>();

  constructor(config: Pick<FlywheelConfig, 'providers' | 'models'>, registry: ProviderRegistry) {
    for (const [id, m] of Object.entries(config.models)) {
      const providerConfig = config.providers[m.provider];
      const provider = registry.get(m.provider);
      if (!providerConfig || !provider)
        throw new Error(`models.${id}.provider: unknown provider "${m.provider}"`);
      if (m.embedding === true && provider.embed === undefined)
        throw new Error(
          `models.${id}.embedding: provider "${m.provider}" (kind ${providerConfig.kind}) has no embeddings API`,
        );
      this.routes.set(id, {
        id,
        providerName: m.provider,
        provider,
        model: m.model,
        price: m.price,
        timeoutMs: providerConfig.timeout_ms,
        embedding: m.embedding === true,
      });
    }
  }

  get(id: string): ModelRoute | undefined {
    return this.routes.get(id);
  }
}
