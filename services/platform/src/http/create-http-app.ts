import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { getProcessLogger, NestPinoLogger } from '../telemetry/logger';
import { HttpErrorFilter } from './http-error.filter';

export interface HttpAppOptions {
  service: string;
  registry: Registry;
  /** request body limit in bytes (default 1 MiB); larger bodies get 413 */
  bodyLimit?: number;
  /** service-specific DomainError code → status */
  statusByCode?: Record<string, number>;
}

/**
 * A NestJS app on Fastify with the shared error filter, HTTP metrics and JSON logs (pino). The caller listens:
 * `await app.listen(port, host)`.
 */
export async function createHttpApp(
  module: Parameters<typeof NestFactory.create>[0],
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: options.bodyLimit ?? 1_048_576 });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new NestPinoLogger(getProcessLogger(options.service)),
    abortOnError: false,
  });
  app.useGlobalFilters(new HttpErrorFilter(options.statusByCode));
  instrument(app, options);
  return app;
}

function instrument(app: NestFastifyApplication, { service, registry }: HttpAppOptions): void {
  const requests =
    (registry.getSingleMetric('flywheel_http_requests_total') as Counter<string> | undefined) ??
    new Counter({
      name: 'flywheel_http_requests_total',
      help: 'HTTP requests by service, method, route and status',
      labelNames: ['service', 'method', 'route', 'status'],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('flywheel_http_request_duration_seconds') as Histogram<string> | undefined) ??
    new Histogram({
      name: 'flywheel_http_request_duration_seconds',
      help: 'HTTP request duration by service, method and route',
      labelNames: ['service', 'method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      requests.inc({ service, method: request.method, route, status: String(reply.statusCode) });
      duration.observe({ service, method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
}
