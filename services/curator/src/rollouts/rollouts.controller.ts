import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { RolloutAction, RolloutList, RolloutState } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import { RolloutsClient } from './rollouts-client';

const path = (route: string) => `/v1/rollouts/${encodeURIComponent(route)}`;

/**
 * `/v1/rollouts*` (admin token, checked by the curator's gate before anything is forwarded):
 * the rollout controller's admin API, forwarded for the console's Rollouts page.
 */
@Controller('v1/rollouts')
export class RolloutsController {
  constructor(@Inject(RolloutsClient) private readonly controller: RolloutsClient) {}

  @Get()
  list(): Promise<RolloutList> {
    return this.controller.call('GET', '/v1/rollouts', RolloutList);
  }

  @Get(':route')
  state(@Param('route') route: string): Promise<RolloutState> {
    return this.controller.call('GET', path(route), RolloutState);
  }

  @Post(':route/:action')
  @HttpCode(200)
  act(@Param('route') route: string, @Param('action') action: string): Promise<RolloutState> {
    const parsed = RolloutAction.safeParse(action);
    if (!parsed.success) {
      throw new DomainError(
        'not_found',
        `unknown rollout action "${action}" (one of ${RolloutAction.options.join(', ')})`,
        { param: 'action' },
      );
    }
    return this.controller.call('POST', `${path(route)}/${parsed.data}`, RolloutState);
  }
}
