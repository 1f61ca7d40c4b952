import { type DynamicModule, Module } from '@nestjs/common';
import { ZodBody } from '@flywheel/platform';
import { FEEDBACK_HTTP_OPTIONS, FeedbackController, type FeedbackHttpOptions } from './feedback.controller';
import { feedbackRequestSchema } from './feedback-request';
import { FeedbackMetrics } from './feedback.metrics';
import { FeedbackService } from './feedback.service';

export interface FeedbackModuleOptions {
  service: FeedbackService;
  metrics: FeedbackMetrics;
  /** `feedback.reasons` from flywheel.yaml: the reason ids a vote may carry */
  reasons: readonly string[];
  trustedProxyHops: number;
}

/** Vote ingest: `POST /v1/feedback`. The service comes ready-made from the composition root. */
@Module({})
export class FeedbackModule {
  static forRoot(options: FeedbackModuleOptions): DynamicModule {
    const http: FeedbackHttpOptions = {
      body: new ZodBody(feedbackRequestSchema(options.reasons)),
      trustedProxyHops: options.trustedProxyHops,
    };
    return {
      module: FeedbackModule,
      controllers: [FeedbackController],
      providers: [
        { provide: FeedbackService, useValue: options.service },
        { provide: FeedbackMetrics, useValue: options.metrics },
        { provide: FEEDBACK_HTTP_OPTIONS, useValue: http },
      ],
    };
  }
}
