import { Module, type DynamicModule } from '@nestjs/common';
import { HTTP_KIT_OPTIONS, OpsController, type HttpKitOptions } from './ops.controller';
import { Readiness } from './readiness';

/** Import once in a service's root module: ops endpoints plus the Readiness registry. */
@Module({})
export class HttpKitModule {
  static forRoot(options: HttpKitOptions): DynamicModule {
    return {
      module: HttpKitModule,
      global: true,
      controllers: [OpsController],
      providers: [{ provide: HTTP_KIT_OPTIONS, useValue: options }, Readiness],
      exports: [Readiness, HTTP_KIT_OPTIONS],
    };
  }
}
