import { type DynamicModule, Module } from '@nestjs/common';
import { VotesController } from './votes.controller';
import { VotesService } from './votes.service';

/** The parked list and vote counts. */
@Module({})
export class VotesModule {
  static forRoot(service: VotesService): DynamicModule {
    return {
      module: VotesModule,
      controllers: [VotesController],
      providers: [{ provide: VotesService, useValue: service }],
    };
  }
}
