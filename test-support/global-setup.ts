import { type Infra, startInfra } from '../infra/local';
import { chromiumPath } from './chromium';

/** Where globalSetup leaves the running infra for globalTeardown (both run in Jest's parent process). */
export const infraHolder = globalThis as typeof globalThis & { __flywheelInfra?: Infra };

/**
 * Jest globalSetup of the `integration` project: real Kafka, Redis and Postgres on free loopback
 * ports (REDIS_URL / DATABASE_URL, when set, are used instead of private servers). The URLs go
 * into process.env, which the test workers inherit.
 */
export default async function globalSetup(): Promise<void> {
  chromiumPath(); // installs Debian's chromium once when missing, or fails saying how
  const infra = await startInfra();
  infraHolder.__flywheelInfra = infra;
  Object.assign(process.env, infra.env);
  const { KAFKA_BROKERS, REDIS_URL, DATABASE_URL } = infra.env;
  const kafkaSeconds = (infra.startupMs.kafka / 1000).toFixed(1);
  console.log(
    `\n[infra] KAFKA_BROKERS=${KAFKA_BROKERS} REDIS_URL=${REDIS_URL} DATABASE_URL=${DATABASE_URL} (Kafka ready in ${kafkaSeconds} s)`,
  );
}
