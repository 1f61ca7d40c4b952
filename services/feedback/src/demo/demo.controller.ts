import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Body, Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import { DomainError, ZodBody } from '@flywheel/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VoteLimits } from '../feedback/vote-limits';
import { type CannedInteraction, DemoService } from './demo.service';

export const DEMO_OPTIONS = Symbol('DEMO_OPTIONS');

export interface DemoOptions {
  mode: 'gateway' | 'canned';
  page: string;
  csp: string;
}

export const CannedInteractionRequest = z.strictObject({
  message: z.string().trim().min(1).max(2000),
  visitor: z.string().min(1).max(100),
});

const ASSETS = join(__dirname, 'assets');
const script = readFileSync(join(ASSETS, 'demo.js'));
const stylesheet = readFileSync(join(ASSETS, 'demo.css'));

const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** `GET /demo` (the chat page), its script and stylesheet, and the canned interactions. */
@Controller('demo')
export class DemoController {
  private readonly body = new ZodBody(CannedInteractionRequest);

  constructor(
    @Inject(DEMO_OPTIONS) private readonly options: DemoOptions,
    @Inject(DemoService) private readonly demo: DemoService,
    @Inject(VoteLimits) private readonly limits: VoteLimits,
  ) {}

  @Get()
  page(@Res() reply: FastifyReply): void {
    void reply
      .headers({ ...PAGE_HEADERS, 'content-security-policy': this.options.csp, 'x-frame-options': 'DENY' })
      .type('text/html; charset=utf-8')
      .send(this.options.page);
  }

  @Get('demo.js')
  script(@Res() reply: FastifyReply): void {
    void reply.headers(PAGE_HEADERS).type('application/javascript; charset=utf-8').send(script);
  }

  @Get('demo.css')
  stylesheet(@Res() reply: FastifyReply): void {
    void reply.headers(PAGE_HEADERS).type('text/css; charset=utf-8').send(stylesheet);
  }

  /** A canned answer with a real token; only while no gateway is configured for the demo. */
  @Post('interactions')
  async interaction(@Body() raw: unknown, @Req() req: FastifyRequest): Promise<CannedInteraction> {
    if (this.options.mode !== 'canned') {
      throw new DomainError('not_found', 'canned interactions are off: the demo talks to the gateway');
    }
    const { message, visitor } = this.body.transform(raw);
    await this.limits.consume('ip', req.ip);
    return this.demo.cannedInteraction(message, visitor);
  }
}
