import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { partitionFor } from './partitioner';

const kafkajs = Partitioners.DefaultPartitioner();
const viaKafkajs = (key: string, partitions: number) =>
  kafkajs({
    topic: 't',
    partitionMetadata: Array.from({ length: partitions }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    })),
    message: { key, value: null },
  });

describe('partitionFor', () => {
  it('maps a key to the partition kafkajs (and Kafka) would, for any key and partition count', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 600 }),
        fc.integer({ min: 1, max: 64 }),
        (key, n) => {
          expect(partitionFor('t', key, n)).toBe(viaKafkajs(key, n));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees on interaction ids, empty keys and every tail length', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', crypto.randomUUID(), 'é✓𝄞'];
    for (const key of keys)
      for (const n of [1, 3, 12]) expect(partitionFor('t', key, n)).toBe(viaKafkajs(key, n));
  });
});
