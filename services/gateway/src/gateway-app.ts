import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type Clock,
  busLocation,
  createEventBus,
  createHttpApp,
  createKeyValueStore,
  type EventBus,
  FlagService,
  type FlywheelConfig,
  HttpKitModule,
  type KeyValueStore,
  loadConfig,
  OwnedResources,
  Readiness,
  systemClock,
} from '@flywheel/platform';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiKeys } from './auth/api-keys';
import { corsHook } from './http/cors.hook';
import { authHook } from './auth/auth.hook';
import { ChatModule } from './chat/chat.module';
import { ChatService } from './chat/chat.service';
import type { GatewayEnv } from './env';
import { ChainExecutor, type ChainExecutorOptions } from './fallback/chain-executor';
import { ModelCatalog } from './fallback/model-catalog';
import { GATEWAY_ERROR_STATUS, GatewayErrorFilter } from './http/gateway-errors';
import { IdempotencyService } from './idempotency/idempotency.service';
import { GatewayMetrics } from './interactions/gateway.metrics';
import { InteractionEvents } from './interactions/interaction-events';
import { InteractionService } from './interactions/interaction.service';
import { atSourceRedaction } from './redaction/at-source-redaction';
import { InvokeModule } from './invoke/invoke.module';
import { InvokeService } from './invoke/invoke.service';
import { gatewayOpenApi } from './openapi';
import type { ProviderFactory } from './providers/llm-provider';
import { ProviderRegistry } from './providers/provider-registry';
import { Backoff, type BackoffOptions, DEFAULT_BACKOFF } from './resilience/backoff';
import { type BreakerOptions, CircuitBreakers, DEFAULT_BREAKER } from './resilience/circuit-breakers';
import { RouteTable } from './rollout/route-table';
import { RolloutService, type VariantFlags } from './rollout/rollout.service';
import { mathRandom } from './runtime/random';
import { timerSleeper } from './runtime/sleeper';
import { SchemaValidator } from './structured/schema-validator';

export const SERVICE = 'gateway';

export interface GatewayAppOptions {
  env: GatewayEnv;
  /** the loaded flywheel.yaml; default: loaded from `env.configPath` (FLYWHEEL_CONFIG) */
  config?: FlywheelConfig;
  /** a bus to share (all-in-one); else one from env, closed by close() */
  bus?: EventBus;
  /** a key-value store to share (idempotency keys); else one from env.redisUrl, closed by close() */
  kv?: KeyValueStore;
  /** a flag source to share; else a FlagService on `env.flagsFile` (FLAGS_FILE), closed by close() */
  flags?: VariantFlags & { ready(): boolean };
  registry?: Registry;
  clock?: Clock;
  /** where providers' `api_key_env` variables are read (default process.env) */
  providerEnv?: NodeJS.ProcessEnv;
  /** provider implementations by `kind` (default PROVIDER_KINDS: the openai and anthropic SDKs) */
  providerKinds?: Readonly<Record<string, ProviderFactory>>;
  /** breaker, backoff and chain settings (tests shorten them) */
  resilience?: {
    breaker?: Partial<BreakerOptions>;
    backoff?: Partial<BackoffOptions>;
    chain?: Partial<ChainExecutorOptions>;
  };
}

export interface GatewayApp {
  /** the Nest app, not listening yet: `await app.listen(env.port, env.host)` */
  app: NestFastifyApplication;
  bus: EventBus;
  registry: Registry;
  config: FlywheelConfig;
  /** providers whose API key variable is unset (their calls fail with `auth`) */
  missingProviderKeys: readonly string[];
  /**
   * Drains (/readyz 503), stops the HTTP server — requests in flight get `graceMs` (default 10 s)
   * to finish before their connections are cut — publishes queued events, closes what it created.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Every answer waits until its interaction event is in the spool on disk, so the spool writes at
 * once (no commit delay): appends that arrive while a write+fdatasync is under way share the
 * next one, which batches by itself under load. The relay gathers 20 ms of events per Kafka
 * request.
 */
const EVENT_BATCHING = { spoolCommitDelayMs: 0, lingerMs: 20 };

/**
 * The gateway: `main.ts` runs it alone and `flywheel start` composes it with the other services
 * in one process. The configuration is checked before anything is opened: every variant of
 * every route is prepared (models resolved, schemas compiled), so a bad route stops boot with
 * its YAML path.
 */
export async function createGatewayApp(options: GatewayAppOptions): Promise<GatewayApp> {
  const { env } = options;
  const config = options.config ?? loadConfig(env.configPath);
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? new Registry();
  if (!options.registry) collectDefaultMetrics({ register: registry });

  const owned = new OwnedResources();
  const providers = new ProviderRegistry(config.providers, {
    env: options.providerEnv ?? process.env,
    kinds: options.providerKinds,
    clock,
  });
  owned.own(providers);
  const breakers = new CircuitBreakers({ ...DEFAULT_BREAKER, ...options.resilience?.breaker });
  const executor = new ChainExecutor(
    {
      catalog: new ModelCatalog(config, providers),
      breakers,
      backoff: new Backoff({ ...DEFAULT_BACKOFF, ...options.resilience?.backoff }, mathRandom),
      validator: new SchemaValidator(),
      clock,
      sleeper: timerSleeper,
    },
    options.resilience?.chain,
  );
  const routes = new RouteTable(config, executor, env.configPath ?? 'flywheel.yaml');

  try {
    let flags = options.flags;
    if (!flags) {
      const service = await FlagService.create({ flagsFile: env.flagsFile });
      owned.own(service);
      flags = service;
    }
    const bus =
      options.bus ??
      (await createEventBus({ source: SERVICE, registry, ...busLocation(env), kafka: EVENT_BATCHING }));
    if (!options.bus) owned.own(bus);

    const metrics = new GatewayMetrics(registry, breakers, Object.keys(config.models));
    const events = new InteractionEvents(
      bus,
      metrics,
      clock,
      env.eventMaxBytes,
      atSourceRedaction(config, registry),
    );
    const kv = options.kv ?? (await createKeyValueStore({ REDIS_URL: env.redisUrl }, { clock }));
    if (!options.kv) owned.own(kv);
    const idempotency = new IdempotencyService(kv, { ttlMs: env.idempotencyTtlS * 1000 });
    const interactions = new InteractionService(
      executor,
      events,
      metrics,
      { secret: env.secret, ttlS: config.feedback.token_ttl_s },
      clock,
    );
    const rollout = new RolloutService(flags, metrics);

    const root = rootModule([
      HttpKitModule.forRoot({ service: SERVICE, registry, openapi: gatewayOpenApi() }),
      ChatModule.forRoot({ chat: new ChatService(routes, rollout, interactions), interactions, idempotency }),
      InvokeModule.forRoot({
        invoke: new InvokeService(routes, rollout, interactions),
        interactions,
        idempotency,
      }),
    ]);
    const app = await createHttpApp(root, {
      service: SERVICE,
      registry,
      bodyLimit: env.bodyLimitBytes,
      statusByCode: GATEWAY_ERROR_STATUS,
    });
    app.useGlobalFilters(new GatewayErrorFilter());
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRequest', corsHook(env.corsOrigins))
      .addHook('onRequest', authHook(new ApiKeys(env.apiKeys, env.adminToken)));

    const connections = trackConnections(app.getHttpServer());
    const readiness = app.get(Readiness);
    readiness.add({ name: 'bus', check: () => bus.ping() });
    const flagSource = flags;
    readiness.add({
      name: 'flags',
      check: async () => {
        if (!flagSource.ready()) throw new Error('flags are not loaded');
      },
    });

    return {
      app,
      bus,
      registry,
      config,
      missingProviderKeys: providers.missingKeys,
      close: async ({ graceMs = 10_000 } = {}) => {
        readiness.startDraining();
        const closed = app.close();
        connections.dropUnused();
        const force = setTimeout(() => connections.dropAll(), graceMs);
        try {
          await closed;
        } finally {
          clearTimeout(force);
        }
        await events.flush();
        await owned.closeAll();
      },
    };
  } catch (err) {
    await owned.closeAll();
    throw err;
  }
}

/**
 * The server's open connections. Node's close() ends idle keep-alive connections but waits for
 * one that never sent a byte (a client's pre-opened socket) until its headers timeout; a
 * shutdown drops those at once, and everything else after the grace period.
 */
function trackConnections(server: Server) {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    dropUnused: () => {
      for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
    },
    dropAll: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

function rootModule(imports: DynamicModule[]): DynamicModule {
  @Module({})
  class GatewayAppModule {}
  return { module: GatewayAppModule, imports };
}
