import {
  bearerAuth,
  ConfigError,
  busLocation,
  type Clock,
  createEventBus,
  createKeyValueStore,
  type EventBus,
  FlagService,
  getProcessLogger,
  type FlywheelConfig,
  type HostedService,
  hostOptionsFrom,
  hostService,
  type KeyValueStore,
  loadConfig,
  provideValues,
  SecretSet,
  systemClock,
} from '@flywheel/platform';
import type { Registry } from 'prom-client';
import { gatewayKeys } from './auth/api-keys';
import { KeyAccess } from './auth/key-access.service';
import { KeyMetrics } from './auth/key.metrics';
import { ChatController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import type { GatewayEnv } from './env';
import { ChainExecutor, type ChainExecutorOptions } from './chain/chain-executor';
import { ModelCatalog } from './chain/model-catalog';
import { corsGate } from './http/cors.gate';
import { GATEWAY_ERROR_STATUS } from './http/gateway-errors';
import { EmbeddingsController } from './embeddings/embeddings.controller';
import { EmbeddingsService } from './embeddings/embeddings.service';
import { IdempotencyService } from './idempotency/idempotency.service';
import { AnswerGuard } from './guardrails/answer-guard';
import { GatewayMetrics } from './interactions/gateway.metrics';
import { InteractionEvents } from './interactions/interaction-events';
import { InteractionService } from './interactions/interaction.service';
import { atSourceRedaction } from './redaction/at-source-redaction';
import { InvokeController } from './invoke/invoke.controller';
import { InvokeService } from './invoke/invoke.service';
import { messagesErrorBody } from './messages/messages-format';
import { MessagesController } from './messages/messages.controller';
import { xApiKeyAsBearer } from './messages/x-api-key.gate';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { gatewayOpenApi } from './openapi';
import type { ProviderFactory } from './providers/llm-provider';
import { loadProviderKinds } from './providers/provider-kinds';
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
  /**
   * a flag source to share; else a FlagService on `env.flagsSyncAddress` (FLAGS_SYNC_ADDRESS) with
   * `env.flagsFile` (FLAGS_FILE) as its boot fallback, or on the file alone; closed by close()
   */
  flags?: VariantFlags & Pick<FlagService, 'ready'> & Partial<Pick<FlagService, 'source'>>;
  /** a metrics registry to share (all-in-one); else the host's own */
  registry?: Registry;
  clock?: Clock;
  /** where providers' `api_key_env` and api_keys' `key_env` variables are read (default process.env) */
  providerEnv?: NodeJS.ProcessEnv;
  /** provider implementations by `kind` (default: PROVIDER_KINDS, loaded for the configured kinds) */
  providerKinds?: Readonly<Record<string, ProviderFactory>>;
  /** breaker, backoff and chain settings (tests shorten them) */
  resilience?: {
    breaker?: Partial<BreakerOptions>;
    backoff?: Partial<BackoffOptions>;
    chain?: Partial<ChainExecutorOptions>;
  };
}

export type GatewayApp = HostedService & {
  bus: EventBus;
  config: FlywheelConfig;
  /** providers whose API key variable is unset (their calls fail with `auth`) */
  missingProviderKeys: readonly string[];
  /** `api_keys` whose `key_env` variable is unset (disabled) */
  disabledApiKeys: readonly string[];
};

/**
 * Every answer waits until its interaction event is in the spool on disk, so the spool writes at
 * once (no commit delay): appends that arrive while a write+fdatasync is under way share the
 * next one, which batches by itself under load. The relay gathers 20 ms of events per Kafka
 * request.
 */
/** The Anthropic Messages endpoint: its own error shape, and `x-api-key` accepted as the key. */
const MESSAGES_PATH = '/v1/messages';

const EVENT_BATCHING = { spoolCommitDelayMs: 0, lingerMs: 20 };

/**
 * An embedded bus the gateway opens itself (`--only gateway` without KAFKA_BROKERS) has no
 * consumer in this process, and no other process can read it: it keeps almost no unread events
 * (one per partition). The bus's default window (10,000 per topic, for an all-in-one whose
 * consumers subscribe after the gateway starts) held ~30 MiB of interaction events at 1,000
 * req/s that nothing would ever read (bench:soak, heap snapshot). Dropped events are counted in flywheel_bus_embedded_dropped_total.
 */
const OWN_EMBEDDED_BUS = { unconsumedWindow: 0 };

/**
 * The gateway on the service host, listening on `env.port`/`env.host`; `flywheel start` runs it
 * alone (`--only gateway`) or with the other services in one process. The configuration is
 * checked before anything is opened: every variant of every route is prepared (models resolved,
 * schemas compiled), so a bad route stops boot with its YAML path. close() publishes the queued
 * interaction events once the last request finished.
 */
export async function createGatewayApp(options: GatewayAppOptions): Promise<GatewayApp> {
  const { env } = options;
  const config = options.config ?? loadConfig(env.configPath);
  const clock = options.clock ?? systemClock;
  const keys = gatewayKeys({
    apiKeys: env.apiKeys,
    adminToken: env.adminToken,
    scoped: config.api_keys,
    env: options.providerEnv ?? process.env,
  });
  if (keys.count === 0) {
    throw new ConfigError('environment', [
      {
        path: 'FLYWHEEL_API_KEYS',
        message:
          'no gateway API key: set FLYWHEEL_API_KEYS, GATEWAY_ADMIN_TOKEN, or the key_env variable of an api_keys entry',
      },
    ]);
  }
  const host = hostOptionsFrom(SERVICE, env, {
    registry: options.registry,
    readinessAdmin: env.adminToken ? new SecretSet([{ secret: env.adminToken, label: 'admin' }]) : undefined,
  });
  return hostService(host, async ({ registry, own }) => {
    const providers = own(
      new ProviderRegistry(config.providers, {
        env: options.providerEnv ?? process.env,
        kinds: options.providerKinds ?? (await loadProviderKinds(config.providers)),
        clock,
      }),
    );
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
    const flags =
      options.flags ??
      own(await FlagService.create({ flagsFile: env.flagsFile, syncAddress: env.flagsSyncAddress }));
    const bus =
      options.bus ??
      own(
        await createEventBus({
          source: SERVICE,
          registry,
          ...busLocation(env),
          kafka: EVENT_BATCHING,
          embedded: OWN_EMBEDDED_BUS,
        }),
      );

    const metrics = new GatewayMetrics(registry, breakers, Object.keys(config.models));
    const events = new InteractionEvents(
      bus,
      metrics,
      clock,
      env.eventMaxBytes,
      atSourceRedaction(config, registry),
      env.eventDurableWait,
    );
    if (!env.eventDurableWait)
      getProcessLogger(SERVICE).warn(
        'GATEWAY_EVENT_DURABLE_WAIT=false: answers do not wait for their event to be durable (for bench:gateway only)',
      );
    const kv =
      options.kv ??
      own(await createKeyValueStore({ url: env.redisUrl, clock, memory: env.memoryKv, registry }));
    const interactions = new InteractionService(
      executor,
      events,
      metrics,
      { secret: env.secret, ttlS: config.feedback.token_ttl_s },
      clock,
      new AnswerGuard(registry),
    );
    const rollout = new RolloutService(flags, metrics);
    return {
      controllers: [
        ChatController,
        MessagesController,
        EmbeddingsController,
        ModelsController,
        InvokeController,
      ],
      providers: provideValues(
        new ChatService(routes, rollout, interactions, executor),
        new InvokeService(routes, rollout, interactions, executor),
        new ModelsService(config, clock.now()),
        new EmbeddingsService(routes, rollout, interactions, executor),
        interactions,
        new IdempotencyService(kv, { ttlMs: env.idempotencyTtlS * 1000 }),
        new KeyAccess(kv, clock, new KeyMetrics(registry), env.maxTokensLimit),
      ),
      openapi: gatewayOpenApi(),
      errorStatus: GATEWAY_ERROR_STATUS,
      errorDialects: [{ prefix: MESSAGES_PATH, body: messagesErrorBody }],
      bodyLimit: env.bodyLimitBytes,
      gates: [
        corsGate(env.corsOrigins),
        xApiKeyAsBearer(MESSAGES_PATH),
        bearerAuth(keys.secrets, {
          prefix: '/v1/',
          message: 'missing or unknown API key (Authorization: Bearer <key>)',
        }),
      ],
      readiness: [
        { name: 'bus', check: () => bus.ping() },
        {
          name: 'flags',
          check: async () => {
            if (!flags.ready()) throw new Error('flags are not loaded');
          },
        },
        // with FLAGS_SYNC_ADDRESS: the last flags stay in force while the source is away, so
        // that is reported but the gateway stays ready
        ...(env.flagsSyncAddress
          ? [
              {
                name: 'flags_sync',
                advisory: true,
                check: async () => {
                  const problem = flags.source?.().problem;
                  if (problem) throw new Error(problem);
                },
              },
            ]
          : []),
      ],
      onStopped: () => events.flush(),
      expose: { bus, config, missingProviderKeys: providers.missingKeys, disabledApiKeys: keys.disabled },
    };
  });
}
