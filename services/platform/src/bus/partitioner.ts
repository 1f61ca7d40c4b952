import { Partitioners } from 'kafkajs';

/**
 * Kafka's default (murmur2, Java-compatible) key → partition mapping. The embedded bus uses
 * the same function so per-key order and co-partitioning behave alike on both adapters.
 */
const defaultPartitioner = Partitioners.DefaultPartitioner();

export function partitionFor(topic: string, key: string, partitions: number): number {
  return defaultPartitioner({
    topic,
    partitionMetadata: Array.from({ length: partitions }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key, value: null },
  });
}
