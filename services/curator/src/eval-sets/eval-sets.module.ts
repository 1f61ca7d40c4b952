import { type DynamicModule, Module } from '@nestjs/common';
import { EvalSetsController } from './eval-sets.controller';
import { EvalSetsService } from './eval-sets.service';

/** Eval set export. */
@Module({})
export class EvalSetsModule {
  static forRoot(service: EvalSetsService): DynamicModule {
    return {
      module: EvalSetsModule,
      controllers: [EvalSetsController],
      providers: [{ provide: EvalSetsService, useValue: service }],
    };
  }
}
