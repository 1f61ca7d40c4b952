export * from './event-bus';
export * from './errors';
export * from './cloud-event';
export { EmbeddedEventBus, type EmbeddedBusOptions } from './embedded-bus';
export { KafkaEventBus, ensureTopics, type KafkaBusOptions } from './kafka-bus';
export type { RelayOptions } from './kafka-relay';
export { Spool, type SpooledEvent, type SpoolOptions, type SpoolRecord } from './spool';
export { busLocation, createEventBus, type EventBusOptions } from './create-event-bus';
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
