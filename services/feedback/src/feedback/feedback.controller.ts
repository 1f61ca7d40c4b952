import { Body, Controller, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import type { FeedbackAccepted, FeedbackRequest } from '@flywheel/contracts';
import { DomainError, KeyValueUnavailableError } from '@flywheel/platform';
import type { FastifyRequest } from 'fastify';
import { FeedbackMetrics } from './feedback.metrics';
import { FeedbackService } from './feedback.service';
import { unavailable } from './unavailable';

export const FEEDBACK_HTTP_OPTIONS = Symbol('FEEDBACK_HTTP_OPTIONS');

export interface FeedbackHttpOptions {
  /** parses the body: FeedbackRequest with the configured reasons (a ZodBody pipe) */
  body: { transform(value: unknown): FeedbackRequest };
}

/** `POST /v1/feedback`: parse, find the client, delegate; count what is refused. */
@Controller('v1/feedback')
export class FeedbackController {
  private readonly logger = new Logger('FeedbackController');

  constructor(
    @Inject(FeedbackService) private readonly feedback: FeedbackService,
    @Inject(FeedbackMetrics) private readonly metrics: FeedbackMetrics,
    @Inject(FEEDBACK_HTTP_OPTIONS) private readonly options: FeedbackHttpOptions,
  ) {}

  @Post()
  @HttpCode(202)
  async submit(@Body() raw: unknown, @Req() req: FastifyRequest): Promise<FeedbackAccepted> {
    try {
      const body = this.options.body.transform(raw);
      // request.ip: X-Forwarded-For only from a trusted proxy (TRUSTED_PROXIES, set by the host)
      const { feedbackId } = await this.feedback.submit(body, { ip: req.ip });
      return { feedback_id: feedbackId };
    } catch (err) {
      if (err instanceof KeyValueUnavailableError) {
        this.metrics.rejected('unavailable');
        this.logger.warn(`vote refused, backend unavailable: ${err.message}`);
        throw unavailable('feedback is temporarily unavailable');
      }
      this.metrics.rejected(err instanceof DomainError ? err.code : 'internal_error');
      throw err;
    }
  }
}
