export * from './event-bus';
export * from './errors';
export * from './cloud-event';
export { EmbeddedEventBus } from './embedded-bus';
export { KafkaEventBus, ensureTopics, type KafkaBusOptions } from './kafka-bus';
export { Spool, type SpoolOptions, type SpoolRecord } from './spool';
export { createEventBus } from './create-event-bus';
export {
  KafkaEnvSchema,
  KAFKA_SASL_MECHANISMS,
  kafkaClientConnection,
  kafkaConnectionFromEnv,
  parseKafkaEnv,
  type KafkaConnection,
  type KafkaEnv,
  type KafkaSaslMechanism,
} from './kafka-connection';
export { topicSpecs, partitionCount } from './topics';
