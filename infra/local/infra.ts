import { type KafkaBroker, startKafka } from './kafka';
import { type PostgresServer, startPostgres } from './postgres';
import { type RedisServer, startRedis } from './redis';

export interface InfraEnv {
  KAFKA_BROKERS: string;
  REDIS_URL: string;
  DATABASE_URL: string;
}

export interface Infra {
  env: InfraEnv;
  kafka: KafkaBroker;
  redis: RedisServer;
  postgres: PostgresServer;
  /** Milliseconds each took from start to ready (0 for an external server). */
  startupMs: { kafka: number; redis: number; postgres: number };
  /** Stops all three and removes their temp dirs. */
  stop(): Promise<void>;
}

export interface InfraOptions {
  rootDir?: string;
  /** Servers outlive this process (the CLI's `up`). */
  detached?: boolean;
  /** Start private Redis and Postgres even if REDIS_URL / DATABASE_URL are set. */
  ignoreEnv?: boolean;
}

async function timed<T>(start: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await start();
  return { value, ms: Math.round(performance.now() - t0) };
}

/** Kafka, Redis and Postgres started in parallel; if one fails the others are stopped again. */
export async function startInfra(opts: InfraOptions = {}): Promise<Infra> {
  const { rootDir, detached, ignoreEnv } = opts;
  const [kafka, redis, postgres] = await Promise.allSettled([
    timed(() => startKafka({ rootDir, detached })),
    timed(() => startRedis({ detached, ignoreEnv })),
    timed(() => startPostgres({ detached, ignoreEnv })),
  ]);
  if (kafka.status !== 'fulfilled' || redis.status !== 'fulfilled' || postgres.status !== 'fulfilled') {
    const started = [kafka, redis, postgres].flatMap((r) =>
      r.status === 'fulfilled' ? [r.value.value] : [],
    );
    await Promise.allSettled(started.map((server) => server.stop()));
    const reasons = [kafka, redis, postgres].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    throw new Error(
      `could not start the local infrastructure:\n${reasons.map((r) => (r instanceof Error ? r.message : String(r))).join('\n\n')}`,
    );
  }
  const servers = { kafka: kafka.value.value, redis: redis.value.value, postgres: postgres.value.value };
  return {
    ...servers,
    env: {
      KAFKA_BROKERS: servers.kafka.brokers,
      REDIS_URL: servers.redis.url,
      DATABASE_URL: servers.postgres.url,
    },
    startupMs: {
      kafka: kafka.value.ms,
      redis: servers.redis.external ? 0 : redis.value.ms,
      postgres: servers.postgres.external ? 0 : postgres.value.ms,
    },
    async stop() {
      const results = await Promise.allSettled([
        servers.kafka.stop(),
        servers.redis.stop(),
        servers.postgres.stop(),
      ]);
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      if (failed.length > 0)
        throw new Error(`stopping the local infrastructure failed: ${failed.join('; ')}`);
    },
  };
}
