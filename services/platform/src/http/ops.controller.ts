import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { Readiness } from './readiness';

export const OPS_OPTIONS = Symbol('OPS_OPTIONS');

export interface OpsOptions {
  service: string;
  registry: Registry;
  /** the OpenAPI document served at /docs (see buildOpenApi) */
  openapi: object;
}

/** /healthz, /readyz, /metrics and /docs: the same four on every service. */
@Controller()
export class OpsController {
  constructor(
    @Inject(OPS_OPTIONS) private readonly options: OpsOptions,
    // explicit token: tsx (esbuild) emits no decorator metadata, so type-based injection fails there
    @Inject(Readiness) private readonly readiness: Readiness,
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok', service: this.options.service };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const report = await this.readiness.report();
    void reply
      .status(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not_ready', ...report });
  }

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply) {
    const body = await this.options.registry.metrics();
    void reply.header('content-type', this.options.registry.contentType).send(body);
  }

  @Get('docs')
  docs() {
    return this.options.openapi;
  }
}
