import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ZodBody } from '@flywheel/platform';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { EvalSetsService } from './eval-sets.service';

export const EvalSetQuery = z.strictObject({
  format: z.enum(['jsonl', 'promptfoo']).default('jsonl'),
  /** promptfoo: the gateway the exported provider calls */
  gateway_url: z.url({ protocol: /^https?$/ }).default('http://localhost:8080'),
  /** promptfoo: force this variant (x-flywheel-variant, with the admin token) */
  variant: z.string().min(1).max(200).optional(),
});
const query = new ZodBody(EvalSetQuery);

/** `GET /v1/eval-sets/{route}?format=jsonl|promptfoo[&gateway_url=…][&variant=…]` (admin token). */
@Controller('v1/eval-sets')
export class EvalSetsController {
  constructor(@Inject(EvalSetsService) private readonly sets: EvalSetsService) {}

  @Get(':route')
  async export(
    @Param('route') route: string,
    @Query() raw: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { format, gateway_url, variant } = query.transform(raw);
    const set = await this.sets.export(route, format, { gatewayUrl: gateway_url, variant });
    void reply
      .header('content-type', set.contentType)
      .header('x-content-type-options', 'nosniff')
      .send(set.body);
  }
}
