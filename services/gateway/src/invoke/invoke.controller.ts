import { Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { InvokeRequest } from '@flywheel/contracts';
import { callerLabel, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKey } from '../auth/api-keys';
import { KeyAccess } from '../auth/key-access.service';
import { answerMeta } from '../http/answer-headers';
import { sendAnswer } from '../http/answer-reply';
import { callerFrom } from '../http/caller';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InteractionService } from '../interactions/interaction.service';
import { invokeResponse, InvokeService } from './invoke.service';

const body = new ZodBody(InvokeRequest);

/** `POST /v1/routes/{route}/invoke`: parse, read the caller, delegate (once per Idempotency-Key). */
@Controller('v1/routes')
export class InvokeController {
  constructor(
    @Inject(InvokeService) private readonly invoke: InvokeService,
    @Inject(InteractionService) private readonly interactions: InteractionService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(KeyAccess) private readonly keys: KeyAccess,
  ) {}

  @Post(':route/invoke')
  @HttpCode(200)
  async run(
    @Param('route') route: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const request = body.transform(req.body);
    const key = callerLabel<ApiKey>(req);
    const caller = callerFrom(req.headers, request.user, key.role);
    const admit = this.keys.admission(key, { route, model: null, messages: request.messages });
    await sendAnswer(this.idempotency, req, reply, `POST /v1/routes/${route}/invoke`, admit, {
      begin: () => this.invoke.begin(route, request, caller),
      run: (interaction, signal) => this.interactions.complete(interaction, signal),
      body: invokeResponse,
      meta: (_body, interaction, result) => answerMeta(interaction, result.final_model),
    });
  }
}
