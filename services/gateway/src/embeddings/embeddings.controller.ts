import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { EmbeddingsRequest } from '@flywheel/contracts';
import { callerLabel, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallerRole } from '../auth/api-keys';
import { answerHeaders, routedHeaders } from '../http/answer-headers';
import { callerFrom } from '../http/caller';
import { clientGone } from '../http/client-abort';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import { InteractionService } from '../interactions/interaction.service';
import { embeddingsResponse } from './embeddings-format';
import { EmbeddingsService } from './embeddings.service';

const body = new ZodBody(EmbeddingsRequest);

/** `POST /v1/embeddings` in OpenAI's shape (float or base64 vectors), once per Idempotency-Key. */
@Controller('v1')
export class EmbeddingsController {
  constructor(
    @Inject(EmbeddingsService) private readonly embeddings: EmbeddingsService,
    @Inject(InteractionService) private readonly interactions: InteractionService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post('embeddings')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = body.transform(req.body);
    const caller = callerFrom(req.headers, request.user, callerLabel<CallerRole>(req));
    await sendIdempotent(this.idempotency, req, reply, 'POST /v1/embeddings', async () => {
      const interaction = await this.embeddings.begin(request, caller);
      void reply.headers(routedHeaders(interaction));
      const result = await this.interactions.embed(interaction, clientGone(reply.raw));
      const answer = embeddingsResponse(interaction, result, request.encoding_format ?? 'float');
      return { status: 200, headers: answerHeaders(answer.flywheel), body: answer };
    });
  }
}
