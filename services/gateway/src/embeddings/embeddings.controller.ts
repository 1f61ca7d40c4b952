import { Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { EmbeddingsRequest } from '@flywheel/contracts';
import { callerLabel, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKey } from '../auth/api-keys';
import { KeyAccess } from '../auth/key-access.service';
import { ownMeta, sendAnswer } from '../http/answer-reply';
import { callerFrom } from '../http/caller';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InteractionService } from '../interactions/interaction.service';
import { modelKeyAsk } from '../chat/chat-request';
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
    @Inject(KeyAccess) private readonly keys: KeyAccess,
  ) {}

  @Post('embeddings')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = body.transform(req.body);
    const key = callerLabel<ApiKey>(req);
    const caller = callerFrom(req.headers, request.user, key.role);
    const admit = this.keys.admission(key, modelKeyAsk(request.model));
    const encoding = request.encoding_format ?? 'float';
    await sendAnswer(this.idempotency, req, reply, 'POST /v1/embeddings', admit, {
      begin: () => this.embeddings.begin(request, caller),
      run: (interaction, signal) => this.interactions.embed(interaction, signal),
      body: (interaction, result) => embeddingsResponse(interaction, result, encoding),
      meta: ownMeta,
    });
  }
}
