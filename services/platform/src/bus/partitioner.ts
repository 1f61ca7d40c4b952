/**
 * Kafka's default key → partition mapping for the embedded bus and the relay's producer, so per-key
 * order and co-partitioning behave alike on both adapters. The implementation is plain CommonJS
 * (partition-key.cjs) because the Kafka producer worker, which runs untranspiled, uses it too;
 * partitioner.spec.ts checks it against kafkajs.
 */
export { keyPartitioner, partitionFor } from './partition-key.cjs';
