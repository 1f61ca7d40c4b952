import {
  commaList,
  httpLimitsEnv,
  httpLimitsFrom,
  kafkaConnectionFromEnv,
  KafkaEnvSchema,
  MAX_TOKENS_CEILING,
  MemoryKeyValueEnvSchema,
  memoryKeyValueLimitsFromEnv,
  parseEnv,
  TrustedProxiesEnv,
} from '@flywheel/platform';
import { z } from 'zod';
import { DEFAULT_EVENT_MAX_BYTES } from './interactions/event-size';

const port = z.coerce.number().int().min(0).max(65_535);
const adminToken = z.string().min(16, 'must be at least 16 characters long').optional();

/** The gateway's environment, parsed once at boot (secrets only here, never in flywheel.yaml). */
export const GatewayEnvSchema = z
  .object({
    GATEWAY_PORT: port.default(8080),
    GATEWAY_HOST: z.string().min(1).default('0.0.0.0'),
    /** comma-separated unscoped client keys (`Authorization: Bearer <key>`); scoped keys: `api_keys` */
    FLYWHEEL_API_KEYS: commaList.default([]),
    /** the gateway's admin token: an API key that may also force a variant (`x-flywheel-variant`) */
    GATEWAY_ADMIN_TOKEN: adminToken,
    /** the fallback for GATEWAY_ADMIN_TOKEN (one token for gateway and curator, as before) */
    FLYWHEEL_ADMIN_TOKEN: adminToken,
    /** no request may ask for more `max_tokens`, whatever its key */
    GATEWAY_MAX_TOKENS_LIMIT: z.coerce.number().int().min(1).max(MAX_TOKENS_CEILING).default(65_536),
    /** HMAC key of feedback tokens and subject hashes, shared with the feedback service */
    FLYWHEEL_FEEDBACK_SECRET: z
      .string({ error: 'required (at least 32 bytes; generate one with: openssl rand -base64 48)' })
      .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes long'),
    FLYWHEEL_CONFIG: z.string().optional(),
    FLAGS_FILE: z.string().optional(),
    /** the rollout controller's flag sync port (`host:port`, flagd sync protocol); unset: FLAGS_FILE only */
    FLAGS_SYNC_ADDRESS: z
      .string()
      .regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port, e.g. rollouts:8015')
      .optional(),
    /** KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*: see the README */
    ...KafkaEnvSchema.shape,
    FLYWHEEL_DATA_DIR: z.string().optional(),
    /** the event spool; default `$FLYWHEEL_DATA_DIR/spool/gateway` (one per process) */
    GATEWAY_SPOOL_DIR: z.string().optional(),
    /** browser origins allowed to call the gateway (CORS); empty by default */
    GATEWAY_CORS_ORIGINS: commaList.default([]),
    /** request bodies above this many bytes are refused with 413 */
    GATEWAY_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /**
     * bound on an interaction event's JSON: longer events keep a prefix of their long strings and
     * say so in `truncated`; keep it below the broker's message.max.bytes (Kafka default 1 MiB)
     */
    GATEWAY_EVENT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(16 * 1024)
      .max(64 * 1024 * 1024)
      .default(DEFAULT_EVENT_MAX_BYTES),
    /**
     * `false` answers without waiting for the event's spool fsync: ONLY for bench:gateway's
     * measurement of what durable-before-answer costs; never in production (README)
     */
    GATEWAY_EVENT_DURABLE_WAIT: z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['true', 'false'], { error: 'must be true or false' }))
      .default('true'),
    /** Redis for idempotency keys and per-key limits; unset = in-memory (one process, lost on restart) */
    REDIS_URL: z.string().optional(),
    /** FLYWHEEL_MEMORY_KV_MAX_ENTRIES / _MAX_BYTES: bounds of the in-memory store */
    ...MemoryKeyValueEnvSchema.shape,
    /** how long an `Idempotency-Key` and its stored answer are kept */
    GATEWAY_IDEMPOTENCY_TTL_S: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(24 * 3600),
    /**
     * GATEWAY_MAX_IN_FLIGHT, GATEWAY_REQUEST_TIMEOUT_MS…: see the README "Overload and timeouts".
     * Its requests mostly wait on an upstream, so more of them fit in flight; a connection may
     * stay silent as long as the longest model timeout allowed (10 min) while a call runs.
     */
    ...httpLimitsEnv('GATEWAY', { maxInFlight: 1_024, connectionTimeoutMs: 600_000 }),
    ...TrustedProxiesEnv,
  })
  .transform((e) => ({
    port: e.GATEWAY_PORT,
    host: e.GATEWAY_HOST,
    apiKeys: e.FLYWHEEL_API_KEYS,
    adminToken: e.GATEWAY_ADMIN_TOKEN ?? e.FLYWHEEL_ADMIN_TOKEN,
    maxTokensLimit: e.GATEWAY_MAX_TOKENS_LIMIT,
    secret: e.FLYWHEEL_FEEDBACK_SECRET,
    configPath: e.FLYWHEEL_CONFIG,
    flagsFile: e.FLAGS_FILE,
    flagsSyncAddress: e.FLAGS_SYNC_ADDRESS,
    kafka: kafkaConnectionFromEnv(e),
    dataDir: e.FLYWHEEL_DATA_DIR,
    spoolDir: e.GATEWAY_SPOOL_DIR,
    bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
    corsOrigins: e.GATEWAY_CORS_ORIGINS,
    eventMaxBytes: e.GATEWAY_EVENT_MAX_BYTES,
    eventDurableWait: e.GATEWAY_EVENT_DURABLE_WAIT === 'true',
    redisUrl: e.REDIS_URL,
    memoryKv: memoryKeyValueLimitsFromEnv(e),
    idempotencyTtlS: e.GATEWAY_IDEMPOTENCY_TTL_S,
    limits: httpLimitsFrom('GATEWAY', e),
    trustedProxies: e.TRUSTED_PROXIES,
  }));

export type GatewayEnv = z.output<typeof GatewayEnvSchema>;

/** Parses the environment; a bad or missing value throws a ConfigError naming the variable. */
export function parseGatewayEnv(env: NodeJS.ProcessEnv = process.env): GatewayEnv {
  return parseEnv(GatewayEnvSchema, env);
}
