import { Controller, HttpCode, Inject, Logger, Post, Req, Res } from '@nestjs/common';
import { ChatCompletionRequest } from '@flywheel/contracts';
import { callerLabel, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CallerRole } from '../auth/api-keys';
import { answerHeaders, routedHeaders } from '../http/answer-headers';
import { callerFrom } from '../http/caller';
import { clientGone } from '../http/client-abort';
import { InteractionService } from '../interactions/interaction.service';
import { chatCompletion } from './chat-format';
import { writeChatStream } from './chat-stream.writer';
import { ChatService } from './chat.service';

const body = new ZodBody(ChatCompletionRequest);

/** `POST /v1/chat/completions`: parse, read the caller, delegate; stream or answer at once. */
@Controller('v1/chat')
export class ChatController {
  private readonly logger = new Logger('Gateway');
  private readonly log = (message: string) => this.logger.error(message);

  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(InteractionService) private readonly interactions: InteractionService,
  ) {}

  @Post('completions')
  @HttpCode(200)
  async create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const request = body.transform(req.body);
    const caller = callerFrom(req.headers, request.user, callerLabel<CallerRole>(req));
    const interaction = await this.chat.begin(request, caller);
    const signal = clientGone(reply.raw);
    if (interaction.request.stream) {
      const stream = this.interactions.stream(interaction, signal);
      await writeChatStream(reply, interaction, stream, {
        includeUsage: request.stream_options?.include_usage === true,
        log: this.log,
      });
      return;
    }
    void reply.headers(routedHeaders(interaction));
    const result = await this.interactions.complete(interaction, signal);
    const answer = chatCompletion(interaction, result);
    void reply.headers(answerHeaders(answer.flywheel)).send(answer);
  }
}
