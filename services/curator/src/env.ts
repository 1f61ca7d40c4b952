import { isAbsolute, join, resolve } from 'node:path';
import {
  httpLimitsEnv,
  httpLimitsFrom,
  kafkaConnectionFromEnv,
  KafkaEnvSchema,
  parseEnv,
  TrustedProxiesEnv,
} from '@flywheel/platform';
import { z } from 'zod';

/** The console bundle built by `npm run build -w services/console`, relative to this file. */
export const DEFAULT_CONSOLE_DIR = resolve(__dirname, '../../console/dist');

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

/** The curator's environment, parsed once at boot (see README "Environment"). */
export const CuratorEnvSchema = z
  .object({
    CURATOR_PORT: port.default(8082),
    CURATOR_HOST: z.string().min(1).default('0.0.0.0'),
    /** bearer token of the triage API and the console */
    FLYWHEEL_ADMIN_TOKEN: z
      .string({ error: 'required (the bearer token of the triage API; e.g. openssl rand -base64 32)' })
      .min(16, 'must be at least 16 characters long'),
    /**
     * the gateway's HMAC key of targeting keys: lets `POST /v1/subjects/{key}/erase` find a
     * subject by its targeting key (optional: without it, erase by subject hash)
     */
    FLYWHEEL_FEEDBACK_SECRET: z
      .string()
      .refine((s) => Buffer.byteLength(s, 'utf8') >= 32, 'must be at least 32 bytes long')
      .optional(),
    DATABASE_URL: z.string().optional(),
    /** KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*: see the README */
    ...KafkaEnvSchema.shape,
    FLYWHEEL_CONFIG: z.string().optional(),
    FLYWHEEL_DATA_DIR: z.string().optional(),
    /** the event spool; default `$FLYWHEEL_DATA_DIR/spool/curator` (one per process) */
    CURATOR_SPOOL_DIR: z.string().optional(),
    /** the built console (index.html and assets) served at /console */
    CURATOR_CONSOLE_DIR: z.string().default(DEFAULT_CONSOLE_DIR),
    /**
     * the rollout controller's base URL (e.g. http://rollouts:8083): the console's Rollouts page
     * calls `/v1/rollouts*` on the curator, which forwards them there with its admin token
     */
    CURATOR_ROLLOUTS_URL: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).optional(),
    /** Kafka consumer group of the interactions + feedback consumer */
    CURATOR_GROUP_ID: z.string().min(1).max(255).default('flywheel-curator'),
    /** how often waiting votes are parked and pending case events are re-published */
    CURATOR_SWEEP_INTERVAL_MS: positiveInt.default(5_000),
    /** how often the retention job runs */
    CURATOR_RETENTION_INTERVAL_MS: positiveInt.default(3_600_000),
    /**
     * Fault injection for the redelivery test: exit the process (code 86) right after the
     * database transaction of the feedback event with this feedback_id commits, before its
     * offset is committed. Never set it in production.
     */
    CURATOR_FAULT_EXIT_AFTER_FEEDBACK: z.string().optional(),
    /** CURATOR_MAX_IN_FLIGHT, CURATOR_REQUEST_TIMEOUT_MS…: see the README "Overload and timeouts" */
    ...httpLimitsEnv('CURATOR'),
    ...TrustedProxiesEnv,
  })
  .transform((e) => ({
    port: e.CURATOR_PORT,
    host: e.CURATOR_HOST,
    adminToken: e.FLYWHEEL_ADMIN_TOKEN,
    limits: httpLimitsFrom('CURATOR', e),
    trustedProxies: e.TRUSTED_PROXIES,
    feedbackSecret: e.FLYWHEEL_FEEDBACK_SECRET,
    databaseUrl: e.DATABASE_URL,
    kafka: kafkaConnectionFromEnv(e),
    configPath: e.FLYWHEEL_CONFIG,
    dataDir: e.FLYWHEEL_DATA_DIR ?? '.flywheel',
    spoolDir: e.CURATOR_SPOOL_DIR,
    consoleDir: isAbsolute(e.CURATOR_CONSOLE_DIR) ? e.CURATOR_CONSOLE_DIR : resolve(e.CURATOR_CONSOLE_DIR),
    rolloutsUrl: e.CURATOR_ROLLOUTS_URL,
    groupId: e.CURATOR_GROUP_ID,
    sweepIntervalMs: e.CURATOR_SWEEP_INTERVAL_MS,
    retentionIntervalMs: e.CURATOR_RETENTION_INTERVAL_MS,
    faultExitAfterFeedback: e.CURATOR_FAULT_EXIT_AFTER_FEEDBACK,
  }));

export type CuratorEnv = z.output<typeof CuratorEnvSchema>;

/** Parses the environment; a bad or missing value throws a ConfigError naming the variable. */
export function parseCuratorEnv(env: NodeJS.ProcessEnv = process.env): CuratorEnv {
  return parseEnv(CuratorEnvSchema, env);
}

/** Where the embedded database (PGlite) lives when DATABASE_URL is unset. */
export function pgliteDataDir(env: Pick<CuratorEnv, 'dataDir'>): string {
  return join(env.dataDir, 'curator', 'pgdata');
}
