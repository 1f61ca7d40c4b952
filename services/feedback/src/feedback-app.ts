import {
  busLocation,
  type Clock,
  createEventBus,
  createKeyValueStore,
  type EventBus,
  type FeedbackConfig,
  type HostedService,
  hostOptionsFrom,
  hostService,
  type KeyValueStore,
  loadConfig,
  provideValues,
  RedisKeyValueStore,
  systemClock,
  ZodBody,
} from '@flywheel/platform';
import type { Registry } from 'prom-client';
import { feedbackCorsGate } from './cors/feedback-cors.gate';
import { OriginPolicy } from './cors/origin-policy';
import { DEMO_OPTIONS, DemoController, type DemoOptions } from './demo/demo.controller';
import { demoCsp, renderDemoPage } from './demo/demo-page';
import { DemoService } from './demo/demo.service';
import type { FeedbackEnv } from './env';
import { feedbackRequestSchema } from './feedback/feedback-request';
import { FeedbackEvents } from './feedback/feedback-events';
import { FeedbackTokens } from './feedback/feedback-tokens';
import {
  FEEDBACK_HTTP_OPTIONS,
  FeedbackController,
  type FeedbackHttpOptions,
} from './feedback/feedback.controller';
import { FeedbackMetrics } from './feedback/feedback.metrics';
import { DEFAULT_VOTE_TIMING, FeedbackService, type VoteTiming } from './feedback/feedback.service';
import { MemoryVoteStore } from './feedback/memory-vote-store';
import { RedisVoteStore } from './feedback/redis-vote-store';
import { VoteLimits } from './feedback/vote-limits';
import type { VoteStore } from './feedback/vote-store';
import { feedbackOpenApi } from './openapi';
import { WidgetBundle } from './widget/widget-bundle';
import { WidgetController } from './widget/widget.controller';

export const SERVICE = 'feedback';

/** The feedback service's own error codes. */
export type FeedbackErrorCode = 'invalid_token' | 'interaction_mismatch' | 'origin_not_allowed';

/** Status of the feedback service's own error codes (the common ones come from the platform). */
export const FEEDBACK_ERROR_STATUS = {
  invalid_token: 401,
  interaction_mismatch: 403,
  origin_not_allowed: 403,
} as const satisfies Record<FeedbackErrorCode, number>;

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
  /** a metrics registry to share (all-in-one); else the host's own */
  registry?: Registry;
  clock?: Clock;
  timing?: Partial<VoteTiming>;
}

export type FeedbackApp = HostedService & {
  bus: EventBus;
  kv: KeyValueStore;
  /** the widget bundle's content hash (`/widget.js?v=<version>`) */
  widgetVersion: string;
};

/**
 * The feedback service on the service host, listening on `env.port`/`env.host`; `flywheel start`
 * runs it alone (`--only feedback`) or with the other services in one process. Fails fast
 * (before connecting to anything) when the widget bundle is missing.
 */
export async function createFeedbackApp(options: FeedbackAppOptions): Promise<FeedbackApp> {
  const { env } = options;
  const widget = WidgetBundle.load(env.widgetFile);
  const config = options.config ?? loadConfig(env.configPath).feedback;
  const clock = options.clock ?? systemClock;
  const host = hostOptionsFrom(SERVICE, env, { registry: options.registry });
  return hostService(host, async ({ registry, own }) => {
    const kv =
      options.kv ?? own(await createKeyValueStore({ url: env.redisUrl, memory: env.memoryKv, registry }));
    const bus = options.bus ?? own(await createEventBus({ source: SERVICE, registry, ...busLocation(env) }));

    const tokens = new FeedbackTokens(env.secret);
    const metrics = new FeedbackMetrics(registry);
    const limits = VoteLimits.create(kv, env.rateLimits);
    const votes: VoteStore =
      kv instanceof RedisKeyValueStore ? new RedisVoteStore(kv.client) : new MemoryVoteStore(clock);
    const service = new FeedbackService(tokens, votes, new FeedbackEvents(bus), limits, metrics, clock, {
      ...DEFAULT_VOTE_TIMING,
      ...options.timing,
    });
    const http: FeedbackHttpOptions = {
      body: new ZodBody(feedbackRequestSchema(config.reasons)),
    };

    const mode = env.demo.mode === 'off' ? null : env.demo.mode;
    const demo: DemoOptions | null = mode && {
      mode,
      page: renderDemoPage({
        mode,
        gatewayUrl: env.demo.gatewayUrl,
        gatewayKey: env.demo.gatewayKey,
        widgetSrc: `/widget.js?v=${widget.version}`,
        reasons: config.reasons,
      }),
      csp: demoCsp(mode === 'gateway' ? env.demo.gatewayUrl : undefined),
    };
    return {
      controllers: [FeedbackController, WidgetController, ...(demo ? [DemoController] : [])],
      providers: [
        ...provideValues(
          service,
          metrics,
          widget,
          limits,
          new DemoService(tokens, clock, config.token_ttl_s),
        ),
        { provide: FEEDBACK_HTTP_OPTIONS, useValue: http },
        { provide: DEMO_OPTIONS, useValue: demo },
      ],
      openapi: feedbackOpenApi(demo !== null),
      errorStatus: FEEDBACK_ERROR_STATUS,
      bodyLimit: BODY_LIMIT_BYTES,
      gates: [
        feedbackCorsGate(new OriginPolicy(config.allowed_origins), () =>
          metrics.rejected('origin_not_allowed'),
        ),
      ],
      readiness: [
        { name: 'bus', check: () => bus.ping() },
        { name: 'kv', check: () => kv.ping() },
      ],
      expose: { bus, kv, widgetVersion: widget.version },
    };
  });
}
