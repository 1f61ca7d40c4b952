import { type DynamicModule, Module } from '@nestjs/common';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { InteractionService } from '../interactions/interaction.service';
import { InvokeController } from './invoke.controller';
import { InvokeService } from './invoke.service';

/** `POST /v1/routes/{route}/invoke`; its services come ready-made from the composition root. */
@Module({})
export class InvokeModule {
  static forRoot(options: {
    invoke: InvokeService;
    interactions: InteractionService;
    idempotency: IdempotencyService;
  }): DynamicModule {
    return {
      module: InvokeModule,
      controllers: [InvokeController],
      providers: [
        { provide: InvokeService, useValue: options.invoke },
        { provide: InteractionService, useValue: options.interactions },
        { provide: IdempotencyService, useValue: options.idempotency },
      ],
    };
  }
}
