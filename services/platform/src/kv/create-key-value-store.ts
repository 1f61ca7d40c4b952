import { type Clock } from '../clock';
import { type KeyValueStore } from './key-value-store';
import { MemoryKeyValueStore } from './memory-key-value-store';
import { RedisKeyValueStore, type RedisKeyValueStoreOptions } from './redis-key-value-store';

/** Redis when `REDIS_URL` is set (connects now, so a wrong URL fails at boot), else the
 * in-memory store. */
export async function createKeyValueStore(
  env: { REDIS_URL?: string },
  opts: { clock?: Clock; redis?: RedisKeyValueStoreOptions } = {},
): Promise<KeyValueStore> {
  const url = env.REDIS_URL?.trim();
  if (url) return RedisKeyValueStore.connect(url, opts.redis);
  return new MemoryKeyValueStore(opts.clock);
}
