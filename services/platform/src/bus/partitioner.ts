import { Partitioners } from 'kafkajs';

/**
 * Kafka's default (murmur2, Java-compatible) key → partition mapping. The embedded bus uses
 * the same function so per-key order and co-partitioning behave alike on both adapters.
 */
const defaultPartitioner = Partitioners.DefaultPartitioner();

type PartitionMetadata = Parameters<typeof defaultPartitioner>[0]['partitionMetadata'];
/** the metadata the partitioner reads, built once per partition count (it is only read) */
const metadataByCount = new Map<number, PartitionMetadata>();

export function partitionFor(topic: string, key: string, partitions: number): number {
  let partitionMetadata = metadataByCount.get(partitions);
  if (partitionMetadata === undefined) {
    partitionMetadata = Array.from({ length: partitions }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    metadataByCount.set(partitions, partitionMetadata);
  }
  return defaultPartitioner({ topic, partitionMetadata, message: { key, value: null } });
}
