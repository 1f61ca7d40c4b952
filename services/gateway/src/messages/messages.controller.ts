import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { MessagesRequest } from '@flywheel/contracts';
import { callerLabel, DomainError, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallerRole } from '../auth/api-keys';
import { ChatService } from '../chat/chat.service';
import { answerHeaders, routedHeaders } from '../http/answer-headers';
import { callerFrom } from '../http/caller';
import { clientGone } from '../http/client-abort';
import { writeSseStream } from '../http/sse-stream.writer';
import { idempotencyKey } from '../idempotency/idempotency-key';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import { InteractionService } from '../interactions/interaction.service';
import { messageId, messagesErrorBody, messagesResponse, MessagesStreamFormat } from './messages-format';
import { toChatRequest } from './messages-request';

const body = new ZodBody(MessagesRequest);
const STREAM_WITH_KEY = new DomainError(
  'invalid_request',
  'Idempotency-Key is not supported with stream: true (send the request without the key, or without streaming)',
  { issues: [{ path: 'headers.idempotency-key', message: 'not supported with stream: true' }] },
);

/**
 * `POST /v1/messages`, the Anthropic Messages API: the request is translated to the chat request
 * the gateway serves (same routes, rollouts, refusals, feedback tokens and events) and the answer
 * written back in the Messages shape; errors are in Anthropic's shape (the host's error dialect
 * for this path).
 */
@Controller('v1')
export class MessagesController {
  private readonly logger = new Logger('Gateway');
  private readonly log = (message: string) => this.logger.error(message);

  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(InteractionService) private readonly interactions: InteractionService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post('messages')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = toChatRequest(body.transform(req.body));
    const caller = callerFrom(req.headers, request.user, callerLabel<CallerRole>(req));
    if (request.stream === true) {
      if (idempotencyKey(req.headers) !== undefined) throw STREAM_WITH_KEY;
      const interaction = await this.chat.begin(request, caller);
      const stream = this.interactions.stream(interaction, clientGone(reply.raw));
      const id = messageId(interaction);
      await writeSseStream(reply, interaction, stream, {
        format: (model) => new MessagesStreamFormat(id, model),
        errorBody: messagesErrorBody,
        log: this.log,
      });
      return;
    }
    await sendIdempotent(this.idempotency, req, reply, 'POST /v1/messages', async () => {
      const interaction = await this.chat.begin(request, caller);
      void reply.headers(routedHeaders(interaction));
      const result = await this.interactions.complete(interaction, clientGone(reply.raw));
      const answer = messagesResponse(interaction, result);
      return { status: 200, headers: answerHeaders(answer.flywheel), body: answer };
    });
  }
}
