import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { bearerToken, type SecretSet } from './auth';
import { Readiness } from './readiness';

export const OPS_OPTIONS = Symbol('OPS_OPTIONS');

export interface OpsOptions {
  service: string;
  registry: Registry;
  /** the OpenAPI document served at /docs (see buildOpenApi) */
  openapi: object;
  /** who may read /readyz's details (`Authorization: Bearer <admin token>`); none when absent */
  readinessAdmin?: SecretSet<unknown>;
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

  /**
   * Ready or not for anyone (load balancers, probes); which checks failed and why — backend
   * names, error text — only for the service's admin token.
   */
  @Get('readyz')
  async readyz(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const report = await this.readiness.report();
    const status = report.ready ? 'ready' : 'not_ready';
    const admin = this.options.readinessAdmin?.match(bearerToken(request.headers.authorization)) ?? null;
    void reply
      .status(report.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(admin === null ? { status } : { status, ...report });
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
