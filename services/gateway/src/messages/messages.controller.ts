import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { MessagesRequest } from '@flywheel/contracts';
import { callerLabel, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKey } from '../auth/api-keys';
import { KeyAccess } from '../auth/key-access.service';
import { chatKeyAsk } from '../chat/chat-request';
import { ChatService } from '../chat/chat.service';
import { ownMeta, sendAnswer, sendStream } from '../http/answer-reply';
import { callerFrom } from '../http/caller';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InteractionService } from '../interactions/interaction.service';
import { messageId, messagesErrorBody, messagesResponse, MessagesStreamFormat } from './messages-format';
import { toChatRequest } from './messages-request';

const body = new ZodBody(MessagesRequest);

/**
 * `POST /v1/messages`, the Anthropic Messages API: the request is translated to the chat request
 * the gateway serves (same routes, rollouts, refusals, feedback tokens and events) and the answer
 * written back in the Messages shape; errors are in Anthropic's shape (the host's error dialect
 * for this path, and `errorBody` for a stream that fails before its first byte).
 */
@Controller('v1')
export class MessagesController {
  private readonly logger = new Logger('Gateway');
  private readonly log = (message: string) => this.logger.error(message);

  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(InteractionService) private readonly interactions: InteractionService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
    @Inject(KeyAccess) private readonly keys: KeyAccess,
  ) {}

  @Post('messages')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = toChatRequest(body.transform(req.body));
    const key = callerLabel<ApiKey>(req);
    const caller = callerFrom(req.headers, request.user, key.role);
    const admit = this.keys.admission(key, chatKeyAsk(request));
    const begin = () => this.chat.begin(request, caller);
    if (request.stream === true) {
      await sendStream(
        req,
        reply,
        admit,
        begin,
        (interaction, signal) => this.interactions.stream(interaction, signal),
        (interaction) => ({
          format: (model) => new MessagesStreamFormat(messageId(interaction), model),
          errorBody: messagesErrorBody,
          log: this.log,
        }),
      );
      return;
    }
    await sendAnswer(this.idempotency, req, reply, 'POST /v1/messages', admit, {
      begin,
      run: (interaction, signal) => this.interactions.complete(interaction, signal),
      body: messagesResponse,
      meta: ownMeta,
    });
  }
}
