import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ChatCompletionRequest } from '@flywheel/contracts';
import { callerLabel, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKey } from '../auth/api-keys';
import { KeyAccess } from '../auth/key-access.service';
import { ownMeta, sendAnswer, sendStream } from '../http/answer-reply';
import { callerFrom } from '../http/caller';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InteractionService } from '../interactions/interaction.service';
import { chatCompletion, chatSseFormat } from './chat-format';
import { chatKeyAsk } from './chat-request';
import { ChatService } from './chat.service';

const body = new ZodBody(ChatCompletionRequest);

/**
 * `POST /v1/chat/completions`: parse, read the caller, delegate; stream, or answer at once (once
 * per Idempotency-Key).
 */
@Controller('v1/chat')
export class ChatController {
  private readonly logger = new Logger('Gateway');
  private readonly log = (message: string) => this.logger.error(message);

  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(InteractionService) private readonly interactions: InteractionService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(KeyAccess) private readonly keys: KeyAccess,
  ) {}

  @Post('completions')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = body.transform(req.body);
    const key = callerLabel<ApiKey>(req);
    const caller = callerFrom(req.headers, request.user, key.role);
    const admit = this.keys.admission(key, chatKeyAsk(request));
    const begin = () => this.chat.begin(request, caller);
    if (request.stream === true) {
      const includeUsage = request.stream_options?.include_usage === true;
      await sendStream(
        req,
        reply,
        admit,
        begin,
        (interaction, signal) => this.interactions.stream(interaction, signal),
        (interaction) => ({ format: chatSseFormat(interaction, includeUsage), log: this.log }),
      );
      return;
    }
    await sendAnswer(this.idempotency, req, reply, 'POST /v1/chat/completions', admit, {
      begin,
      run: (interaction, signal) => this.interactions.complete(interaction, signal),
      body: chatCompletion,
      meta: ownMeta,
    });
  }
}
