/**
 * Real Kafka, Redis and Postgres on free loopback ports, without Docker: for integration tests
 * (Jest globalSetup) and `npm run infra:up`. Fault tests may kill() and start() each server.
 */
export { startInfra, type Infra, type InfraEnv, type InfraOptions } from './infra';
export {
  ensureKafkaJars,
  KAFKA_VERSION,
  startKafka,
  type KafkaBroker,
  type KafkaOptions,
  type SaslSslListener,
} from './kafka';
export { startPostgres, type PostgresServer } from './postgres';
export { startRedis, type RedisServer } from './redis';
export { createTestPki, type TestPki } from './tls';
export type { LocalServer, LocalServerOptions } from './server';
