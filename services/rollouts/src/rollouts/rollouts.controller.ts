import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { RolloutList, RolloutState } from '@flywheel/contracts';
import { DomainError } from '@flywheel/platform';
import type { ManualAction } from '../decision/state-machine';
import { RolloutService } from './rollout.service';

const ACTIONS: readonly ManualAction[] = ['start', 'pause', 'resume', 'advance', 'rollback'];

/** The rollouts admin API (DESIGN.md § Rollouts); the admin token gate runs before it. */
@Controller('v1/rollouts')
export class RolloutsController {
  constructor(@Inject(RolloutService) private readonly rollouts: RolloutService) {}

  @Get()
  async list(): Promise<RolloutList> {
    return { rollouts: await this.rollouts.list() };
  }

  @Get(':route')
  state(@Param('route') route: string): Promise<RolloutState> {
    return this.rollouts.state(route);
  }

  @Post(':route/:action')
  @HttpCode(200)
  act(@Param('route') route: string, @Param('action') action: string): Promise<RolloutState> {
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new DomainError(
        'not_found',
        `unknown rollout action "${action}" (one of ${ACTIONS.join(', ')})`,
        {
          param: 'action',
        },
      );
    }
    return this.rollouts.manual(route, action as ManualAction);
  }
}
