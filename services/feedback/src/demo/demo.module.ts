import { type DynamicModule, Module } from '@nestjs/common';
import type { Clock } from '@flywheel/platform';
import type { FeedbackTokens } from '../feedback/feedback-tokens';
import { VoteLimits } from '../feedback/vote-limits';
import { DEMO_OPTIONS, DemoController, type DemoOptions } from './demo.controller';
import { demoCsp, renderDemoPage } from './demo-page';
import { DemoService } from './demo.service';

export interface DemoModuleOptions {
  mode: 'gateway' | 'canned';
  gatewayUrl?: string;
  gatewayKey?: string;
  widgetSrc: string;
  reasons: readonly string[];
  tokenTtlS: number;
  trustedProxyHops: number;
  tokens: FeedbackTokens;
  limits: VoteLimits;
  clock: Clock;
}

/** The demo chat page (`/demo`). */
@Module({})
export class DemoModule {
  static forRoot(o: DemoModuleOptions): DynamicModule {
    const options: DemoOptions = {
      mode: o.mode,
      page: renderDemoPage(o),
      csp: demoCsp(o.mode === 'gateway' ? o.gatewayUrl : undefined),
      trustedProxyHops: o.trustedProxyHops,
    };
    return {
      module: DemoModule,
      controllers: [DemoController],
      providers: [
        { provide: DEMO_OPTIONS, useValue: options },
        { provide: DemoService, useValue: new DemoService(o.tokens, o.clock, o.tokenTtlS) },
        { provide: VoteLimits, useValue: o.limits },
      ],
    };
  }
}
