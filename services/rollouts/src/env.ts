import { join } from 'node:path';
import { kafkaConnectionFromEnv, KafkaEnvSchema, parseEnv } from '@flywheel/platform';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();

/** The rollout controller's environment, parsed once at boot (see README "Environment"). */
export const RolloutsEnvSchema = z
  .object({
    ROLLOUTS_PORT: port.default(8083),
    ROLLOUTS_HOST: z.string().min(1).default('0.0.0.0'),
    /** flagd sync protocol (gRPC) port: the gateways' FLAGS_SYNC_ADDRESS points here */
    ROLLOUTS_SYNC_PORT: port.default(8015),
    /** the hand-written flags served alongside the planned routes' splits */
    FLAGS_FILE: z.string().min(1).default('infra/flags/flags.json'),
    /** bearer token of the rollouts admin API */
    FLYWHEEL_ADMIN_TOKEN: z
      .string({ error: 'required (the bearer token of the admin API; e.g. openssl rand -base64 32)' })
      .min(16, 'must be at least 16 characters long'),
    DATABASE_URL: z.string().optional(),
    /** KAFKA_BROKERS, KAFKA_SSL*, KAFKA_SASL_*: see the README */
    ...KafkaEnvSchema.shape,
    FLYWHEEL_CONFIG: z.string().optional(),
    FLYWHEEL_DATA_DIR: z.string().optional(),
    /** the event spool of the decision events; default `$FLYWHEEL_DATA_DIR/spool/rollouts` */
    ROLLOUTS_SPOOL_DIR: z.string().optional(),
    /** Kafka consumer group of the interactions + feedback consumer */
    ROLLOUTS_GROUP_ID: z.string().min(1).max(255).default('flywheel-rollouts'),
    /** how often every rollout is re-decided without new evidence (minimum time per step) */
    ROLLOUTS_DECIDE_INTERVAL_MS: positiveInt.default(5_000),
  })
  .transform((e) => ({
    port: e.ROLLOUTS_PORT,
    host: e.ROLLOUTS_HOST,
    syncPort: e.ROLLOUTS_SYNC_PORT,
    flagsFile: e.FLAGS_FILE,
    adminToken: e.FLYWHEEL_ADMIN_TOKEN,
    databaseUrl: e.DATABASE_URL,
    kafka: kafkaConnectionFromEnv(e),
    configPath: e.FLYWHEEL_CONFIG,
    dataDir: e.FLYWHEEL_DATA_DIR ?? '.flywheel',
    spoolDir: e.ROLLOUTS_SPOOL_DIR,
    groupId: e.ROLLOUTS_GROUP_ID,
    decideIntervalMs: e.ROLLOUTS_DECIDE_INTERVAL_MS,
  }));

export type RolloutsEnv = z.output<typeof RolloutsEnvSchema>;

/** Parses the environment; a bad or missing value throws a ConfigError naming the variable. */
export function parseRolloutsEnv(env: NodeJS.ProcessEnv = process.env): RolloutsEnv {
  return parseEnv(RolloutsEnvSchema, env);
}

/** Where the embedded database (PGlite) lives when DATABASE_URL is unset. */
export function pgliteDataDir(env: Pick<RolloutsEnv, 'dataDir'>): string {
  return join(env.dataDir, 'rollouts', 'pgdata');
}
