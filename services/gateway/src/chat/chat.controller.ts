import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ChatCompletionRequest } from '@flywheel/contracts';
import { callerLabel, DomainError, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallerRole } from '../auth/api-keys';
import { answerHeaders, routedHeaders } from '../http/answer-headers';
import { callerFrom } from '../http/caller';
import { clientGone } from '../http/client-abort';
import { idempotencyKey } from '../idempotency/idempotency-key';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import { InteractionService } from '../interactions/interaction.service';
import { writeSseStream } from '../http/sse-stream.writer';
import { chatCompletion, chatSseFormat } from './chat-format';
import { ChatService } from './chat.service';

const body = new ZodBody(ChatCompletionRequest);
/** A stream is not stored for replay: a retried stream with a key is refused rather than run twice. */
const STREAM_WITH_KEY = new DomainError(
  'invalid_request',
  'Idempotency-Key is not supported with stream: true (send the request without the key, or without streaming)',
  { issues: [{ path: 'headers.idempotency-key', message: 'not supported with stream: true' }] },
);

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
  ) {}

  @Post('completions')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = body.transform(req.body);
    const caller = callerFrom(req.headers, request.user, callerLabel<CallerRole>(req));
    if (request.stream === true) {
      if (idempotencyKey(req.headers) !== undefined) throw STREAM_WITH_KEY;
      const interaction = await this.chat.begin(request, caller);
      const stream = this.interactions.stream(interaction, clientGone(reply.raw));
      await writeSseStream(reply, interaction, stream, {
        format: chatSseFormat(interaction, request.stream_options?.include_usage === true),
        log: this.log,
      });
      return;
    }
    await sendIdempotent(this.idempotency, req, reply, 'POST /v1/chat/completions', async () => {
      const interaction = await this.chat.begin(request, caller);
      void reply.headers(routedHeaders(interaction));
      const result = await this.interactions.complete(interaction, clientGone(reply.raw));
      const answer = chatCompletion(interaction, result);
      return { status: 200, headers: answerHeaders(answer.flywheel), body: answer };
    });
  }
}
