import { type DynamicModule, Module } from '@nestjs/common';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InteractionService } from '../interactions/interaction.service';
import { ChatController } from './chat.controller';
import { ChatService } from './chat.service';

/** `POST /v1/chat/completions`; its services come ready-made from the composition root. */
@Module({})
export class ChatModule {
  static forRoot(options: {
    chat: ChatService;
    interactions: InteractionService;
    idempotency: IdempotencyService;
  }): DynamicModule {
    return {
      module: ChatModule,
      controllers: [ChatController],
      providers: [
        { provide: ChatService, useValue: options.chat },
        { provide: InteractionService, useValue: options.interactions },
        { provide: IdempotencyService, useValue: options.idempotency },
      ],
    };
  }
}
