import { Module, type DynamicModule } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type Clock,
  createEventBus,
  createHttpApp,
  createKeyValueStore,
  type EventBus,
  type FeedbackConfig,
  HttpKitModule,
  type KeyValueStore,
  loadConfig,
  OwnedResources,
  Readiness,
  RedisKeyValueStore,
  systemClock,
} from '@flywheel/platform';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { feedbackCorsHook } from './cors/feedback-cors.hook';
import { OriginPolicy } from './cors/origin-policy';
import { DemoModule } from './demo/demo.module';
import type { FeedbackEnv } from './env';
import { FeedbackEvents } from './feedback/feedback-events';
import { FeedbackTokens } from './feedback/feedback-tokens';
import { FeedbackMetrics } from './feedback/feedback.metrics';
import { FeedbackModule } from './feedback/feedback.module';
import { DEFAULT_VOTE_TIMING, FeedbackService, type VoteTiming } from './feedback/feedback.service';
import { MemoryVoteStore } from './feedback/memory-vote-store';
import { RedisVoteStore } from './feedback/redis-vote-store';
import { VoteLimits } from './feedback/vote-limits';
import type { VoteStore } from './feedback/vote-store';
import { feedbackOpenApi } from './openapi';
import { WidgetBundle } from './widget/widget-bundle';
import { WidgetModule } from './widget/widget.module';

export const SERVICE = 'feedback';

/** Status of the feedback service's own error codes (the common ones come from the HTTP kit). */
export const FEEDBACK_ERROR_STATUS: Record<string, number> = {
  invalid_token: 401,
  interaction_mismatch: 403,
  origin_not_allowed: 403,
};

/** Bodies are small: a token, a comment ≤ 2000 and a correction ≤ 8000 characters. */
const BODY_LIMIT_BYTES = 128 * 1024;

export interface FeedbackAppOptions {
  env: FeedbackEnv;
  /** the `feedback` section of flywheel.yaml; default: loaded from FLYWHEEL_CONFIG */
  config?: FeedbackConfig;
  /** a bus to share (all-in-one: the embedded bus the curator consumes); else one from env, closed by close() */
  bus?: EventBus;
  /** a key-value store to share; else one from env, closed by close() */
  kv?: KeyValueStore;
  registry?: Registry;
  clock?: Clock;
  timing?: Partial<VoteTiming>;
}

export interface FeedbackApp {
  /** base URL it listens on */
  url: string;
  app: NestFastifyApplication;
  bus: EventBus;
  kv: KeyValueStore;
  registry: Registry;
  /** the widget bundle's content hash (`/widget.js?v=<version>`) */
  widgetVersion: string;
  /** drains (/readyz 503), stops the HTTP server, then closes the bus and store it created */
  close(): Promise<void>;
}

/**
 * The feedback service, listening on `env.port`/`env.host`: `main.ts` runs it alone and
 * `flywheel start` composes it with the other services in one process. Fails fast (before
 * connecting to anything) when the widget bundle is missing.
 */
export async function createFeedbackApp(options: FeedbackAppOptions): Promise<FeedbackApp> {
  const { env } = options;
  const widget = WidgetBundle.load(env.widgetFile);
  const config = options.config ?? loadConfig(env.configPath).feedback;
  const clock = options.clock ?? systemClock;
  const registry = options.registry ?? new Registry();
  if (!options.registry) collectDefaultMetrics({ register: registry });

  const owned = new OwnedResources();
  try {
    const kv = options.kv ?? (await createKeyValueStore({ REDIS_URL: env.redisUrl }));
    if (!options.kv) owned.own(kv);
    const bus =
      options.bus ??
      (await createEventBus(
        { FLYWHEEL_DATA_DIR: env.dataDir },
        // createEventBus defaults the spool to $FLYWHEEL_DATA_DIR/spool/<source>
        { source: SERVICE, connection: env.kafka ?? null, registry, spoolDir: env.spoolDir },
      ));
    if (!options.bus) owned.own(bus);

    const tokens = new FeedbackTokens(env.secret);
    const metrics = new FeedbackMetrics(registry);
    const limits = VoteLimits.create(kv, env.rateLimits);
    const votes: VoteStore =
      kv instanceof RedisKeyValueStore ? new RedisVoteStore(kv.client) : new MemoryVoteStore(clock);
    const service = new FeedbackService(tokens, votes, new FeedbackEvents(bus), limits, metrics, clock, {
      ...DEFAULT_VOTE_TIMING,
      ...options.timing,
    });

    const demo = env.demo.mode === 'off' ? null : env.demo.mode;
    const root = rootModule([
      HttpKitModule.forRoot({ service: SERVICE, registry, openapi: feedbackOpenApi(demo !== null) }),
      FeedbackModule.forRoot({
        service,
        metrics,
        reasons: config.reasons,
        trustedProxyHops: env.trustedProxyHops,
      }),
      WidgetModule.forRoot(widget),
      ...(demo
        ? [
            DemoModule.forRoot({
              mode: demo,
              gatewayUrl: env.demo.gatewayUrl,
              gatewayKey: env.demo.gatewayKey,
              widgetSrc: `/widget.js?v=${widget.version}`,
              reasons: config.reasons,
              tokenTtlS: config.token_ttl_s,
              trustedProxyHops: env.trustedProxyHops,
              tokens,
              limits,
              clock,
            }),
          ]
        : []),
    ]);
    const app = await createHttpApp(root, {
      service: SERVICE,
      registry,
      bodyLimit: BODY_LIMIT_BYTES,
      statusByCode: FEEDBACK_ERROR_STATUS,
    });
    app
      .getHttpAdapter()
      .getInstance()
      .addHook(
        'onRequest',
        feedbackCorsHook(new OriginPolicy(config.allowed_origins), () =>
          metrics.rejected('origin_not_allowed'),
        ),
      );
    const readiness = app.get(Readiness);
    readiness.add({ name: 'bus', check: () => bus.ping() });
    readiness.add({ name: 'kv', check: () => kv.ping() });
    try {
      await app.listen(env.port, env.host);
    } catch (err) {
      await app.close().catch(() => undefined);
      throw err;
    }
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return {
      url,
      app,
      bus,
      kv,
      registry,
      widgetVersion: widget.version,
      close: async () => {
        readiness.startDraining();
        await app.close();
        await owned.closeAll();
      },
    };
  } catch (err) {
    await owned.closeAll();
    throw err;
  }
}

function rootModule(imports: DynamicModule[]): DynamicModule {
  @Module({})
  class FeedbackAppModule {}
  return { module: FeedbackAppModule, imports };
}
