export {
  type KeyValueStore,
  type KeyValueSetOptions,
  type KeyValueIncrOptions,
  type KeyValueLeaseOptions,
  KeyValueUnavailableError,
} from './key-value-store';
export {
  MemoryKeyValueStore,
  type MemoryKeyValueStoreOptions,
  MEMORY_KV_DEFAULT_MAX_BYTES,
  MEMORY_KV_DEFAULT_MAX_ENTRIES,
} from './memory-key-value-store';
export {
  MemoryKeyValueEnvSchema,
  type MemoryKeyValueEnv,
  memoryKeyValueLimitsFromEnv,
} from './memory-key-value-env';
export {
  RedisKeyValueStore,
  type RedisClient,
  type RedisKeyValueStoreOptions,
} from './redis-key-value-store';
export { createKeyValueStore } from './create-key-value-store';
