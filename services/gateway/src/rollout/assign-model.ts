import { DomainError } from '@flywheel/platform';
import type { Caller } from '../http/caller';
import type { DirectParams, RouteTable } from './route-table';
import type { Assignment, RolloutService } from './rollout.service';

const ROUTE_PREFIX = 'route:';

/**
 * The chain a request's `model` names: `route:<name>` picks the route's variant through its flag;
 * a model id from `models` is a direct one-model chain (with the client's `params`). Throws
 * `unknown_route` / `unknown_model` (404), or 400 for a forced variant on a direct call.
 */
export async function assignModel(
  routes: RouteTable,
  rollout: RolloutService,
  model: string,
  caller: Caller,
  params: DirectParams,
): Promise<Assignment> {
  if (model.startsWith(ROUTE_PREFIX)) {
    const name = model.slice(ROUTE_PREFIX.length);
    const route = routes.route(name);
    if (!route) throw new DomainError('unknown_route', `no route named "${name}"`);
    return rollout.assign(route, caller);
  }
  if (caller.forcedVariant !== undefined) {
    throw new DomainError(
      'invalid_request',
      'x-flywheel-variant applies to routes only (model: "route:<name>"), not to a direct model call',
    );
  }
  const chain = routes.directChain(model, params);
  if (!chain) {
    throw new DomainError(
      'unknown_model',
      `no model "${model}": use a model id from the configuration or "route:<name>"`,
    );
  }
  return rollout.direct(chain);
}
