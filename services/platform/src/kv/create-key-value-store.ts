import type { Registry } from 'prom-client';
import { type Clock } from '../clock';
import { type KeyValueStore } from './key-value-store';
import { MemoryKeyValueStore } from './memory-key-value-store';
import { RedisKeyValueStore, type RedisKeyValueStoreOptions } from './redis-key-value-store';

export interface CreateKeyValueStoreOptions {
  /** a Redis URL (a service's REDIS_URL); unset or blank: the in-memory store */
  url?: string;
  /** the in-memory store's clock for TTLs */
  clock?: Clock;
  /** the in-memory store's bounds (FLYWHEEL_MEMORY_KV_MAX_ENTRIES / _MAX_BYTES) */
  memory?: { maxEntries?: number; maxBytes?: number };
  /** where the in-memory store's `flywheel_kv_memory_*` metrics go */
  registry?: Registry;
  redis?: RedisKeyValueStoreOptions;
}

/** Redis when `url` is set (connects now, so a wrong URL fails at boot), else the in-memory store. */
export async function createKeyValueStore(options: CreateKeyValueStoreOptions = {}): Promise<KeyValueStore> {
  const url = options.url?.trim();
  if (url) return RedisKeyValueStore.connect(url, options.redis);
  return new MemoryKeyValueStore(options.clock, { ...options.memory, registry: options.registry });
}
