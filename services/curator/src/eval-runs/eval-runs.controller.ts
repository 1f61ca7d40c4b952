import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { EvalRun, type EvalRunList, Name } from '@flywheel/contracts';
import { ZodBody } from '@flywheel/platform';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { EvalRunsService } from './eval-runs.service';

export const EvalRunQuery = z.strictObject({
  route: Name.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
const query = new ZodBody(EvalRunQuery);
const body = new ZodBody(EvalRun);

/** `/v1/eval-runs` (admin token): the runner posts runs, the console reads them. */
@Controller('v1/eval-runs')
export class EvalRunsController {
  constructor(@Inject(EvalRunsService) private readonly runs: EvalRunsService) {}

  @Get()
  list(@Query() raw: unknown): Promise<EvalRunList> {
    return this.runs.list(query.transform(raw));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<EvalRun> {
    return this.runs.get(id);
  }

  /** 201 when stored, 200 when this exact run was stored before. */
  @Post()
  async store(@Body() raw: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<EvalRun> {
    const { run, created } = await this.runs.store(body.transform(raw));
    void reply.status(created ? 201 : 200);
    return run;
  }
}
