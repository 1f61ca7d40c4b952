/**
 * Kafka's default key → partition mapping (murmur2 of the key's UTF-8 bytes, Java-compatible,
 * the mapping of kafkajs's DefaultPartitioner), for the embedded bus, so per-key order and
 * co-partitioning behave alike on both adapters. Computed with 32-bit integer arithmetic on a
 * reused buffer: kafkajs's own murmur2 allocates a Buffer and a few dozen Long objects per key,
 * which the gateway paid on every event. partitioner.spec.ts checks it against kafkajs.
 */
import type { ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const scratch = Buffer.alloc(1024);

/** Kafka's `Utils.murmur2` of `data[0, length)`, as a signed 32-bit integer. */
function murmur2(data: Uint8Array, length: number): number {
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[tail + 2]! << 16;
    if (rest >= 2) h ^= data[tail + 1]! << 8;
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

export function partitionFor(_topic: string, key: string, partitions: number): number {
  let data: Uint8Array = scratch;
  let length: number;
  if (key.length * 3 <= scratch.length) {
    length = scratch.write(key, 'utf8');
  } else {
    data = Buffer.from(key, 'utf8');
    length = data.length;
  }
  return (murmur2(data, length) & 0x7fffffff) % partitions;
}

/**
 * A kafkajs partitioner that maps string keys with {@link partitionFor}: the mapping of kafkajs's
 * DefaultPartitioner (which the relay's producer used) without its Buffer and Long objects per
 * key, several KB of garbage per event on the gateway's request thread. A message with an
 * explicit partition keeps it; one without a string key (none of ours) goes to `fallback`.
 */
export function keyPartitioner(fallback: ICustomPartitioner): ICustomPartitioner {
  return () => {
    const other = fallback();
    return (args) => {
      const { message } = args;
      if (message.partition !== null && message.partition !== undefined) return message.partition;
      if (typeof message.key === 'string')
        return partitionFor(args.topic, message.key, args.partitionMetadata.length);
      return other(args);
    };
  };
}
