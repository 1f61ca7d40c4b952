export * from './event-bus';
export * from './errors';
export * from './cloud-event';
export { EmbeddedEventBus } from './embedded-bus';
export { KafkaEventBus, ensureTopics, type KafkaBusOptions } from './kafka-bus';
export { Spool, type SpoolOptions, type SpoolRecord } from './spool';
export { createEventBus } from './create-event-bus';
export { topicSpecs, partitionCount } from './topics';
