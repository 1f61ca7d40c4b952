import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { keyPartitioner, partitionFor } from './partitioner';

const kafkajs = Partitioners.DefaultPartitioner();
const metadata = (partitions: number) =>
  Array.from({ length: partitions }, (_, i) => ({
    partitionId: i,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
const viaKafkajs = (key: string, partitions: number) =>
  kafkajs({ topic: 't', partitionMetadata: metadata(partitions), message: { key, value: null } });

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

describe('keyPartitioner', () => {
  const ours = keyPartitioner(Partitioners.DefaultPartitioner)();

  it("is kafkajs's DefaultPartitioner for string keys", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
        expect(ours({ topic: 't', partitionMetadata: metadata(n), message: { key, value: null } })).toBe(
          viaKafkajs(key, n),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an explicit partition, and spreads keyless messages over the partitions', () => {
    const m = metadata(6);
    expect(ours({ topic: 't', partitionMetadata: m, message: { key: 'k', partition: 4, value: null } })).toBe(
      4,
    );
    const keyless = new Set(
      Array.from({ length: 12 }, () => ours({ topic: 't', partitionMetadata: m, message: { value: null } })),
    );
    expect(keyless.size).toBe(6);
  });
});
