import { Controller, Get, Inject, Param } from '@nestjs/common';
import type { ModelEntry, ModelList } from '@flywheel/contracts';
import { ModelsService } from './models.service';

/** `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape, so `openai.models.list()` works. */
@Controller('v1/models')
export class ModelsController {
  constructor(@Inject(ModelsService) private readonly models: ModelsService) {}

  @Get()
  list(): ModelList {
    return this.models.list();
  }

  @Get(':id')
  get(@Param('id') id: string): ModelEntry {
    return this.models.get(id);
  }
}
