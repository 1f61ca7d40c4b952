import { type DynamicModule, Module } from '@nestjs/common';
import { WidgetController } from './widget.controller';
import { WidgetBundle } from './widget-bundle';

/** Serves the widget bundle loaded at boot. */
@Module({})
export class WidgetModule {
  static forRoot(bundle: WidgetBundle): DynamicModule {
    return {
      module: WidgetModule,
      controllers: [WidgetController],
      providers: [{ provide: WidgetBundle, useValue: bundle }],
    };
  }
}
