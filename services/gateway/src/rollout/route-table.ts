import { ConfigError, type FlywheelConfig, type RouteConfig, type VariantConfig } from '@flywheel/platform';
import type { ChainExecutor, ChainVariant } from '../chain/chain-executor';

/** A route of flywheel.yaml by name, with its name kept alongside. */
export interface Route {
  name: string;
  config: RouteConfig;
}

/** Overrides a client may set on a direct model call (a route's variant sets its own). */
export interface DirectParams {
  temperature?: number;
  max_tokens?: number;
}

/**
 * The routes and models of the loaded configuration, checked at boot: every variant of every
 * route is prepared by the executor (models resolved, output schema compiled), so a bad route
 * stops the process naming it instead of failing its first request.
 */
export class RouteTable {
  private readonly routes = new Map<string, Route>();
  /** one-model chains for direct calls without overrides, built once per model id */
  private readonly direct = new Map<string, ChainVariant>();

  constructor(
    config: Pick<FlywheelConfig, 'routes' | 'models'>,
    private readonly executor: ChainExecutor,
    source = 'flywheel.yaml',
  ) {
    const problems: { path: string; message: string }[] = [];
    for (const [name, route] of Object.entries(config.routes)) {
      for (const [variantName, variant] of Object.entries(route.variants)) {
        try {
          executor.prepare(variant);
        } catch (err) {
          problems.push({
            path: `routes.${name}.variants.${variantName}`,
            message: err instanceof Error ? err.message : String(err),
          });
        }
      }
      this.routes.set(name, { name, config: route });
    }
    for (const id of Object.keys(config.models)) {
      const variant: ChainVariant = { chain: [id] };
      try {
        executor.prepare(variant);
      } catch (err) {
        problems.push({ path: `models.${id}`, message: err instanceof Error ? err.message : String(err) });
      }
      this.direct.set(id, variant);
    }
    if (problems.length > 0) throw new ConfigError(source, problems);
  }

  route(name: string): Route | undefined {
    return this.routes.get(name);
  }

  /** Every route and variant (for boot-time compilation of templates). */
  *variants(): Iterable<{ route: string; name: string; variant: VariantConfig }> {
    for (const [route, { config }] of this.routes) {
      for (const [name, variant] of Object.entries(config.variants)) yield { route, name, variant };
    }
  }

  /** The one-model chain of a direct call to model `id`, or undefined for an unknown id. */
  directChain(id: string, params: DirectParams): ChainVariant | undefined {
    const base = this.direct.get(id);
    if (base === undefined) return undefined;
    if (params.temperature === undefined && params.max_tokens === undefined) return base;
    const variant: ChainVariant = { chain: base.chain };
    if (params.temperature !== undefined) variant.temperature = params.temperature;
    if (params.max_tokens !== undefined) variant.max_tokens = params.max_tokens;
    return variant;
  }
}
