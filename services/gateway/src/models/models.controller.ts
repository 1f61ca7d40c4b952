import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ModelEntry, ModelList } from '@flywheel/contracts';
import { callerLabel } from '@flywheel/platform';
import type { ApiKey } from '../auth/api-keys';
import { ModelsService } from './models.service';

/**
 * `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape, so `openai.models.list()` works;
 * both show only the routes and models the caller's key may call.
 */
@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get()
  list(@Req() req: FastifyRequest): ModelList {
    return this.models.list(callerLabel<ApiKey>(req));
  }

  @Get(':id')
  get(@Req() req: FastifyRequest, @Param('id') id: string): ModelEntry {
    return this.models.get(id, callerLabel<ApiKey>(req));
  }
}
