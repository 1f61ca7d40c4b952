import { type DynamicModule, Module } from '@nestjs/common';
import { EvalRunsController } from './eval-runs.controller';
import { EvalRunsService } from './eval-runs.service';

/** Eval run storage. */
@Module({})
export class EvalRunsModule {
  static forRoot(service: EvalRunsService): DynamicModule {
    return {
      module: EvalRunsModule,
      controllers: [EvalRunsController],
      providers: [{ provide: EvalRunsService, useValue: service }],
    };
  }
}
