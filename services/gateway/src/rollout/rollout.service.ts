import { DomainError, type FlagContext, type FlagService, type VariantConfig } from '@flywheel/platform';
import type { ChainVariant } from '../chain/chain-executor';
import type { Caller } from '../http/caller';
import type { Route } from './route-table';

/** The variant source: FlagService in production (never throws; default plus a reason). */
export type VariantFlags = Pick<FlagService, 'variantFor'>;

/** Where assignments are counted (GatewayMetrics); declared here so rollout does not depend on interactions. */
export interface AssignmentMetrics {
  assigned(route: string, variant: string, reason: string): void;
}

/** What one request runs: a route's variant (or a direct model call) and why it was chosen. */
export interface Assignment {
  /** null for a direct model call */
  route: string | null;
  flagKey?: string;
  /** the variant name; `direct` for a direct model call */
  variant: string;
  /** OpenFeature reason (`TARGETING_MATCH`, `STATIC`, `ERROR`…), `FORCED` or `DIRECT` */
  reason: string;
  /** why the flag could not be used (then `variant` is the route's default) */
  flagError?: string;
  chain: ChainVariant;
  /** the variant as configured (prompt, allow_client_system); absent for a direct call */
  config?: VariantConfig;
}

export const DIRECT_VARIANT = 'direct';
const MAX_FLAG_ERROR = 256;

/**
 * Picks the variant of a route for a caller: an admin's forced variant, else the route's flag
 * evaluated with the caller's context, else (flag unusable, or naming a variant the route does
 * not have) the route's `default_variant` with the reason recorded.
 */
export class RolloutService {
  constructor(
    private readonly flags: VariantFlags,
    private readonly metrics: AssignmentMetrics,
  ) {}

  async assign(route: Route, caller: Caller): Promise<Assignment> {
    const { config } = route;
    let assignment: Assignment;
    if (caller.forcedVariant !== undefined) {
      assignment = this.forced(route, caller.forcedVariant);
    } else {
      const decision = await this.flags.variantFor(
        config.flag,
        config.default_variant,
        flagContext(route, caller),
      );
      let { variant, reason } = decision;
      let flagError: string | undefined;
      if (decision.errorCode !== undefined) {
        flagError = decision.errorMessage
          ? `${decision.errorCode}: ${decision.errorMessage}`
          : decision.errorCode;
      }
      if (!Object.hasOwn(config.variants, variant)) {
        flagError = `flag ${config.flag} chose "${variant}", which route ${route.name} does not have`;
        reason = 'ERROR';
        variant = config.default_variant;
      }
      const variantConfig = config.variants[variant] as VariantConfig;
      assignment = {
        route: route.name,
        flagKey: config.flag,
        variant,
        reason,
        chain: variantConfig,
        config: variantConfig,
      };
      if (flagError !== undefined) assignment.flagError = flagError.slice(0, MAX_FLAG_ERROR);
    }
    this.metrics.assigned(route.name, assignment.variant, assignment.reason);
    return assignment;
  }

  /** A direct call to one model: no route, no flag. */
  direct(chain: ChainVariant): Assignment {
    return { route: null, variant: DIRECT_VARIANT, reason: 'DIRECT', chain };
  }

  private forced(route: Route, name: string): Assignment {
    const { config } = route;
    if (!Object.hasOwn(config.variants, name)) {
      const known = Object.keys(config.variants).join(', ');
      throw new DomainError(
        'invalid_request',
        `x-flywheel-variant: route ${route.name} has no variant "${name}" (it has: ${known})`,
      );
    }
    const variant = config.variants[name] as VariantConfig;
    return {
      route: route.name,
      flagKey: config.flag,
      variant: name,
      reason: 'FORCED',
      chain: variant,
      config: variant,
    };
  }
}

/** The evaluation context: `x-flywheel-ctx-*` attributes, then the gateway's own (which win). */
function flagContext(route: Route, caller: Caller): FlagContext {
  const context: FlagContext = { ...caller.attributes, targetingKey: caller.targetingKey, route: route.name };
  if (caller.app !== undefined) context.app = caller.app;
  if (caller.tenant !== undefined) context.tenant = caller.tenant;
  return context;
}
