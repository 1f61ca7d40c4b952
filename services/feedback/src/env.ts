import { isAbsolute, resolve } from 'node:path';
import {
  httpLimitsEnv,
  httpLimitsFrom,
  kafkaConnectionFromEnv,
  KafkaEnvSchema,
  MemoryKeyValueEnvSchema,
  memoryKeyValueLimitsFromEnv,
  parseEnv,
  TrustedProxiesEnv,
} from '@flywheel/platform';
import { z } from 'zod';

/** The widget bundle built by `npm run build -w web-widget`, relative to this file. */
export const DEFAULT_WIDGET_FILE = resolve(__dirname, '../../../web-widget/dist/widget.js');

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

/** The feedback service's environment, parsed once at boot (see README "Environment"). */
export const FeedbackEnvSchema = z
  .object({
    FEEDBACK_PORT: port.default(8081),
    FEEDBACK_HOST: z.string().min(1).default('0.0.0.0'),
    /** HMAC key of feedback tokens, shared with the gateway that mints them */
    FLYWHEEL_FEEDBACK_SECRET: z
      .string()
      .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes long'),
    REDIS_URL: z.string().optional(),
    /** FLYWHEEL_MEMORY_KV_MAX_ENTRIES / _MAX_BYTES: bounds of the in-memory store */
    ...MemoryKeyValueEnvSchema.shape,
    /** KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*: see the README */
    ...KafkaEnvSchema.shape,
    FLYWHEEL_CONFIG: z.string().optional(),
    FLYWHEEL_DATA_DIR: z.string().optional(),
    /** the event spool; default `$FLYWHEEL_DATA_DIR/spool/feedback` (one per process) */
    FEEDBACK_SPOOL_DIR: z.string().optional(),
    /** votes per client IP per window */
    FEEDBACK_RATE_IP_POINTS: positiveInt.default(120),
    FEEDBACK_RATE_IP_WINDOW_S: positiveInt.default(60),
    /** votes per subject (the token's hashed user) per window */
    FEEDBACK_RATE_SUBJECT_POINTS: positiveInt.default(30),
    FEEDBACK_RATE_SUBJECT_WINDOW_S: positiveInt.default(60),
    /** deprecated, TRUSTED_PROXIES wins: proxies in front that append to X-Forwarded-For */
    FEEDBACK_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).optional(),
    /** FEEDBACK_MAX_IN_FLIGHT, FEEDBACK_REQUEST_TIMEOUT_MS…: see the README "Overload and timeouts" */
    ...httpLimitsEnv('FEEDBACK'),
    ...TrustedProxiesEnv,
    FEEDBACK_WIDGET_FILE: z.string().default(DEFAULT_WIDGET_FILE),
    /** `auto`: `gateway` when FEEDBACK_DEMO_GATEWAY_URL is set, else `canned`; `off` removes /demo */
    FEEDBACK_DEMO: z.enum(['auto', 'gateway', 'canned', 'off']).default('auto'),
    FEEDBACK_DEMO_GATEWAY_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
    /** a gateway key that is safe to hand to browsers (limited to the demo route) */
    FEEDBACK_DEMO_GATEWAY_KEY: z.string().optional(),
  })
  .refine((e) => e.FEEDBACK_DEMO !== 'gateway' || e.FEEDBACK_DEMO_GATEWAY_URL, {
    path: ['FEEDBACK_DEMO_GATEWAY_URL'],
    message: 'required with FEEDBACK_DEMO=gateway (the gateway the demo page calls)',
  })
  .transform((e) => {
    const gatewayUrl = e.FEEDBACK_DEMO_GATEWAY_URL?.replace(/\/+$/, '');
    const mode = e.FEEDBACK_DEMO === 'auto' ? (gatewayUrl ? 'gateway' : 'canned') : e.FEEDBACK_DEMO;
    return {
      port: e.FEEDBACK_PORT,
      host: e.FEEDBACK_HOST,
      secret: e.FLYWHEEL_FEEDBACK_SECRET,
      redisUrl: e.REDIS_URL,
      memoryKv: memoryKeyValueLimitsFromEnv(e),
      kafka: kafkaConnectionFromEnv(e),
      configPath: e.FLYWHEEL_CONFIG,
      dataDir: e.FLYWHEEL_DATA_DIR,
      spoolDir: e.FEEDBACK_SPOOL_DIR,
      rateLimits: {
        ip: { points: e.FEEDBACK_RATE_IP_POINTS, windowS: e.FEEDBACK_RATE_IP_WINDOW_S },
        subject: { points: e.FEEDBACK_RATE_SUBJECT_POINTS, windowS: e.FEEDBACK_RATE_SUBJECT_WINDOW_S },
      },
      limits: httpLimitsFrom('FEEDBACK', e),
      trustedProxies: e.TRUSTED_PROXIES ?? e.FEEDBACK_TRUSTED_PROXY_HOPS,
      widgetFile: isAbsolute(e.FEEDBACK_WIDGET_FILE)
        ? e.FEEDBACK_WIDGET_FILE
        : resolve(e.FEEDBACK_WIDGET_FILE),
      demo: { mode, gatewayUrl, gatewayKey: e.FEEDBACK_DEMO_GATEWAY_KEY },
    };
  });

export type FeedbackEnv = z.output<typeof FeedbackEnvSchema>;
export type RateLimit = FeedbackEnv['rateLimits']['ip'];

/** Parses the environment; a bad or missing value throws a ConfigError naming the variable. */
export function parseFeedbackEnv(env: NodeJS.ProcessEnv = process.env): FeedbackEnv {
  return parseEnv(FeedbackEnvSchema, env);
}
