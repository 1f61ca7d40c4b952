export {
  type KeyValueStore,
  type KeyValueSetOptions,
  type KeyValueIncrOptions,
  type KeyValueLeaseOptions,
  KeyValueUnavailableError,
} from './key-value-store';
export { MemoryKeyValueStore } from './memory-key-value-store';
export {
  RedisKeyValueStore,
  type RedisClient,
  type RedisKeyValueStoreOptions,
} from './redis-key-value-store';
export { createKeyValueStore } from './create-key-value-store';
