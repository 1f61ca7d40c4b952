'use strict';
/**
 * Kafka's default key → partition mapping (murmur2 of the key's UTF-8 bytes, Java-compatible, the
 * mapping of kafkajs's DefaultPartitioner), in plain CommonJS so that both the TypeScript sources
 * (partitioner.ts re-exports it with types) and the Kafka producer worker
 * (kafka-producer.worker.cjs, which runs untranspiled in a worker thread under jest, tsx and the
 * esbuild bundle alike) use this one implementation: the relay's producer and the embedded bus
 * must put a key on the same partition as the consumers expect.
 *
 * Computed with 32-bit integer arithmetic on a reused buffer: kafkajs's own murmur2 allocates a
 * Buffer and a few dozen Long objects per key. partitioner.spec.ts checks it against kafkajs.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const scratch = Buffer.alloc(1024);

/** Kafka's `Utils.murmur2` of `data[0, length)`, as a signed 32-bit integer. */
function murmur2(data, length) {
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[tail + 2] << 16;
    if (rest >= 2) h ^= data[tail + 1] << 8;
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

function partitionFor(_topic, key, partitions) {
  let data = scratch;
  let length;
  if (key.length * 3 <= scratch.length) {
    length = scratch.write(key, 'utf8');
  } else {
    data = Buffer.from(key, 'utf8');
    length = data.length;
  }
  return (murmur2(data, length) & 0x7fffffff) % partitions;
}

/**
 * A kafkajs partitioner that maps string keys with {@link partitionFor}. A message with an explicit
 * partition keeps it; one without a string key (none of ours) goes to `fallback`.
 */
function keyPartitioner(fallback) {
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

module.exports = { partitionFor, keyPartitioner };
