import { type DynamicModule, Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';
import { ConsoleFiles } from './console-files';

/** Serves the built console at /console. */
@Module({})
export class ConsoleModule {
  static forRoot(files: ConsoleFiles): DynamicModule {
    return {
      module: ConsoleModule,
      controllers: [ConsoleController],
      providers: [{ provide: ConsoleFiles, useValue: files }],
    };
  }
}
