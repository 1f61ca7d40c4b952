import type { ICustomPartitioner } from 'kafkajs';

/** Kafka's default partition of `key` among `partitions` (murmur2, as kafkajs's DefaultPartitioner). */
export declare function partitionFor(topic: string, key: string, partitions: number): number;
/** A kafkajs partitioner mapping string keys with {@link partitionFor}; other messages go to `fallback`. */
export declare function keyPartitioner(fallback: ICustomPartitioner): ICustomPartitioner;
