import 'reflect-metadata';
import { Module, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { SecretSet } from '../http/auth';
import { DomainError } from '../http/domain-error';
import { type ErrorDialect, HttpErrorFilter, sendMapped } from '../http/http-error.filter';
import { OPS_OPTIONS, OpsController } from '../http/ops.controller';
import { DEFAULT_READINESS, Readiness, type ReadinessCheck, type ReadinessOptions } from '../http/readiness';
import { type Closable, OwnedResources } from '../owned-resources';
import { counterCells } from '../telemetry/counter-cells';
import { getProcessLogger, NestPinoLogger } from '../telemetry/logger';
import { trackConnections } from './connections';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits';
import { OverloadGuard } from './overload-guard';
import { type RequestGate, requestPath } from './request-gate';
import type { TrustedProxies } from './trusted-proxies';

export interface HostOptions {
  /** the service's name: metrics label, logger name, /healthz */
  service: string;
  port: number;
  host: string;
  /** a registry to share (all-in-one); else a new one with the default process metrics */
  registry?: Registry;
  /** timeouts, header limits and overload shedding (env `<SERVICE>_…`); default DEFAULT_HTTP_LIMITS */
  limits?: Partial<HttpLimits>;
  /** whose X-Forwarded-For sets `request.ip` (env TRUSTED_PROXIES); default nobody's */
  trustedProxies?: TrustedProxies;
  /** who may read /readyz's details (the service's admin token); anonymous callers get ready/not_ready */
  readinessAdmin?: SecretSet<unknown>;
  /** how /readyz caches and times out its backend checks; default DEFAULT_READINESS */
  readiness?: Partial<ReadinessOptions>;
}

/** What the host hands a service while it is being built. */
export interface ServiceContext {
  registry: Registry;
  /** Records a resource the service created itself: closed (in reverse order) by close(), or if boot fails. */
  own<T extends Closable>(resource: T): T;
}

/** All a service supplies: its HTTP surface, its error codes and its extra readiness checks. */
export interface ServiceDefinition<X extends object = object> {
  controllers: Type[];
  /** the controllers' dependencies, usually `provideValues(…)` of ready-made instances */
  providers?: Provider[];
  /** the OpenAPI document served at /docs (see buildOpenApi) */
  openapi: object;
  /** the service's DomainError codes → HTTP status (the common ones are built in) */
  errorStatus?: Readonly<Record<string, number>>;
  /** other APIs' error shapes by path prefix (gates' refusals included) */
  errorDialects?: ErrorDialect[];
  /** request body limit in bytes (default 1 MiB); larger bodies get 413 */
  bodyLimit?: number;
  /** backend checks /readyz runs besides draining */
  readiness?: ReadinessCheck[];
  /** checks on the normalized path before the body is read (auth, CORS), in order */
  gates?: RequestGate[];
  /** once draining starts, before the HTTP server closes: stop background work (consumers, timers) */
  onDrain?(): Promise<void>;
  /** after the last request finished, before owned resources close (flush queued events) */
  onStopped?(): Promise<void>;
  /** extra fields of the running service (its bus, store…) */
  expose?: X;
}

export interface HostedService {
  /** base URL it listens on (`[::1]`/`0.0.0.0` given as 127.0.0.1) */
  url: string;
  app: NestFastifyApplication;
  registry: Registry;
  readiness: Readiness;
  /**
   * Drains (/readyz 503), stops background work, stops the HTTP server — connections that never
   * sent a byte are dropped at once, requests in flight get `graceMs` (default 10 s) before their
   * connections are cut — then flushes and closes what the service created.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** The host options a service's parsed env carries (`port`, `host`, `limits`, `trustedProxies`), plus `extra`. */
export function hostOptionsFrom(
  service: string,
  env: Pick<HostOptions, 'port' | 'host' | 'limits' | 'trustedProxies'>,
  extra: Partial<Pick<HostOptions, 'registry' | 'readinessAdmin'>> = {},
): HostOptions {
  const { port, host, limits, trustedProxies } = env;
  return { service, port, host, limits, trustedProxies, ...extra };
}

/** One provider per instance, keyed by its class: `provideValues(chatService, interactions)`. */
export function provideValues(...instances: object[]): Provider[] {
  return instances.map((value) => ({ provide: value.constructor, useValue: value }));
}

/**
 * The service host: every Flywheel service runs in it. It owns the metrics registry (default
 * process metrics plus per-route HTTP metrics), the service's resources, readiness, the Nest app
 * on Fastify with the one error mapping, the request gates, listening, connection tracking and
 * graceful close. `define` builds the service; if it or anything after it fails, what was opened
 * so far is closed and the error is rethrown.
 */
export async function hostService<X extends object = object>(
  options: HostOptions,
  define: (context: ServiceContext) => Promise<ServiceDefinition<X>> | ServiceDefinition<X>,
): Promise<HostedService & X> {
  const registry = options.registry ?? new Registry();
  if (!options.registry) collectDefaultMetrics({ register: registry });
  const owned = new OwnedResources();
  let app: NestFastifyApplication | undefined;
  let definition: ServiceDefinition<X> | undefined;
  try {
    definition = await define({ registry, own: (resource) => owned.own(resource) });
    const readiness = new Readiness({ ...DEFAULT_READINESS, ...options.readiness });
    for (const check of definition.readiness ?? []) readiness.add(check);

    @Module({
      controllers: [OpsController, ...definition.controllers],
      providers: [
        {
          provide: OPS_OPTIONS,
          useValue: {
            service: options.service,
            registry,
            openapi: definition.openapi,
            readinessAdmin: options.readinessAdmin,
          },
        },
        { provide: Readiness, useValue: readiness },
        ...(definition.providers ?? []),
      ],
    })
    class ServiceModule {}

    const errorStatus = definition.errorStatus ?? {};
    const limits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
    const dialects = definition.errorDialects ?? [];
    app = await NestFactory.create<NestFastifyApplication>(
      ServiceModule,
      new FastifyAdapter(fastifyOptions(limits, definition.bodyLimit, options.trustedProxies)),
      { logger: new NestPinoLogger(getProcessLogger(options.service)), abortOnError: false },
    );
    app.useGlobalFilters(new HttpErrorFilter(errorStatus, dialects));
    const fastify = app.getHttpAdapter().getInstance();
    instrument(fastify, options.service, registry);
    const guard = new OverloadGuard(limits, options.service, registry);
    guard.install(fastify, errorStatus, dialects);
    installGates(fastify, definition.gates ?? [], errorStatus, dialects);
    const connections = trackConnections(app.getHttpServer());

    await app.listen(options.port, options.host);
    guard.arm();
    owned.own({ close: async () => guard.disarm() });
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const [running, service] = [app, definition];
    let closing: Promise<void> | undefined;
    const close = ({ graceMs = 10_000 } = {}) =>
      (closing ??= (async () => {
        readiness.startDraining();
        await service.onDrain?.();
        const closed = running.close();
        connections.drain();
        const force = setTimeout(() => connections.dropAll(), graceMs);
        try {
          await closed;
        } finally {
          clearTimeout(force);
        }
        await service.onStopped?.();
        await owned.closeAll();
      })());
    return { ...(definition.expose as X), url, app, registry, readiness, close };
  } catch (err) {
    await definition?.onDrain?.().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await owned.closeAll();
    throw err;
  }
}

/**
 * Fastify's server options from the limits (and Nest's adapter's: no middleware). Node's requestTimeout bounds receiving the request
 * only (it stops counting once the body is in), so a long response or an SSE stream is never cut
 * by it; connectionTimeout is socket inactivity in either direction. Node checks the request
 * timeouts every `connectionsCheckingInterval` (30 s by default): here at most every second.
 */
function fastifyOptions(limits: HttpLimits, bodyLimit = 1_048_576, trustedProxies?: TrustedProxies) {
  const { requestTimeoutMs } = limits;
  return {
    // no service uses Nest middleware: without @fastify/middie no request walks its (empty) chain
    skipMiddie: true,
    bodyLimit,
    trustProxy: trustProxy(trustedProxies),
    requestTimeout: requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs > 0 ? Math.min(60_000, requestTimeoutMs) : 60_000,
      connectionsCheckingInterval: Math.min(
        1_000,
        Math.max(100, Math.floor((requestTimeoutMs || 4_000) / 4)),
      ),
    },
  };
}

/**
 * Fastify's `trustProxy`: a hop count as a function, since Fastify ≥ 5.12 trusts no hop when
 * given a number (it cannot check the peer); TRUSTED_PROXIES=n keeps meaning "the nearest n hops
 * are our proxies".
 */
function trustProxy(
  trustedProxies: TrustedProxies,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (trustedProxies === 0 || trustedProxies === undefined) return false;
  if (typeof trustedProxies === 'number') return (_address, hop) => hop < trustedProxies;
  return trustedProxies;
}

/** Runs the gates on the normalized path in an onRequest hook: before the body is read. */
function installGates(
  fastify: FastifyInstance,
  gates: RequestGate[],
  errorStatus: Readonly<Record<string, number>>,
  dialects: readonly ErrorDialect[],
) {
  if (gates.length === 0) return;
  fastify.addHook('onRequest', (request, reply, done) => {
    const path = requestPath(request);
    const verdict =
      path === null
        ? new DomainError('invalid_request', 'the request target is not a valid path')
        : gates.reduce<ReturnType<RequestGate>>((v, gate) => v ?? gate(request, reply, path), undefined);
    if (verdict === undefined) return done();
    if (verdict instanceof DomainError) sendMapped(reply, verdict, errorStatus, () => undefined, dialects);
  });
}

function instrument(fastify: FastifyInstance, service: string, registry: Registry): void {
  // pre-bound label sets: one increment per request without hashing them (see CounterCells)
  const requests = counterCells(registry, {
    name: 'flywheel_http_requests_total',
    help: 'HTTP requests by service, method, route and status',
    labelNames: ['service', 'method', 'route', 'status'],
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
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.at(service, request.method, route, String(reply.statusCode)).inc();
    duration.observe({ service, method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}
