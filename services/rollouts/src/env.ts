import { join } from 'node:path';
import { kafkaConnectionFromEnv, KafkaEnvSchema, parseEnv } from '@flywheel/platform';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http(s) URL' });

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
    /** the regression gate: the gateway it runs the route's accepted cases through */
    FLYWHEEL_GATEWAY_URL: httpUrl.default('http://127.0.0.1:8080'),
    /** the regression gate: the curator it reads accepted cases from and stores runs in (FLYWHEEL_ADMIN_TOKEN) */
    FLYWHEEL_CURATOR_URL: httpUrl.default('http://127.0.0.1:8082'),
    /** the gateway's admin key (forces the candidate variant); default FLYWHEEL_ADMIN_TOKEN */
    GATEWAY_ADMIN_TOKEN: z.string().min(1).optional(),
    /** model id for llm-judge assertions that name none */
    FLYWHEEL_JUDGE_MODEL: z.string().min(1).optional(),
    /** per gateway or curator call of a gate run */
    ROLLOUTS_GATE_TIMEOUT_MS: positiveInt.default(120_000),
    /** after a gate run that could not finish (curator or gateway unreachable), try again after this */
    ROLLOUTS_GATE_RETRY_MS: positiveInt.default(30_000),
    /** gateway calls at a time in a gate run */
    ROLLOUTS_GATE_CONCURRENCY: positiveInt.max(64).default(4),
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
    gate: {
      gatewayUrl: e.FLYWHEEL_GATEWAY_URL.replace(/\/+$/, ''),
      curatorUrl: e.FLYWHEEL_CURATOR_URL.replace(/\/+$/, ''),
      gatewayToken: e.GATEWAY_ADMIN_TOKEN ?? e.FLYWHEEL_ADMIN_TOKEN,
      curatorToken: e.FLYWHEEL_ADMIN_TOKEN,
      judgeModel: e.FLYWHEEL_JUDGE_MODEL,
      timeoutMs: e.ROLLOUTS_GATE_TIMEOUT_MS,
      retryMs: e.ROLLOUTS_GATE_RETRY_MS,
      concurrency: e.ROLLOUTS_GATE_CONCURRENCY,
    },
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
