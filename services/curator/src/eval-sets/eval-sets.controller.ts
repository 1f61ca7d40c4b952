import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ZodBody } from '@flywheel/platform';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { EvalSetsService } from './eval-sets.service';

export const EvalSetQuery = z.strictObject({ format: z.enum(['jsonl', 'promptfoo']).default('jsonl') });
const query = new ZodBody(EvalSetQuery);

/** `GET /v1/eval-sets/{route}?format=jsonl|promptfoo` (admin token). */
@Controller('v1/eval-sets')
export class EvalSetsController {
  constructor(@Inject(EvalSetsService) private readonly sets: EvalSetsService) {}

  @Get(':route')
  async export(
    @Param('route') route: string,
    @Query() raw: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { format } = query.transform(raw);
    const set = await this.sets.export(route, format);
    void reply
      .header('content-type', set.contentType)
      .header('x-content-type-options', 'nosniff')
      .send(set.body);
  }
}
