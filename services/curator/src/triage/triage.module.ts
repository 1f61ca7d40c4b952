import { type DynamicModule, Module } from '@nestjs/common';
import { TriageController } from './triage.controller';
import { TriageService } from './triage.service';

/** `/v1/cases…`: the service comes ready-made from the composition root. */
@Module({})
export class TriageModule {
  static forRoot(service: TriageService): DynamicModule {
    return {
      module: TriageModule,
      controllers: [TriageController],
      providers: [{ provide: TriageService, useValue: service }],
    };
  }
}
