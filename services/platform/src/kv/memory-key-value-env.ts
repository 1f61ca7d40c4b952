import { z } from 'zod';
import { MEMORY_KV_DEFAULT_MAX_BYTES, MEMORY_KV_DEFAULT_MAX_ENTRIES } from './memory-key-value-store';

/**
 * The in-memory key-value store's bounds (used when REDIS_URL is unset), shared by the env
 * schema of every service that has one (spread its `shape`).
 */
export const MemoryKeyValueEnvSchema = z.object({
  /** keys the in-memory store keeps at most before forgetting the least recently used */
  FLYWHEEL_MEMORY_KV_MAX_ENTRIES: z.coerce.number().int().min(1).default(MEMORY_KV_DEFAULT_MAX_ENTRIES),
  /** bytes of keys and values it keeps at most (counted at 2 per character, plus ~96 per key) */
  FLYWHEEL_MEMORY_KV_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .default(MEMORY_KV_DEFAULT_MAX_BYTES),
});
export type MemoryKeyValueEnv = z.output<typeof MemoryKeyValueEnvSchema>;

/** The parsed variables as `createKeyValueStore`'s `memory` option. */
export function memoryKeyValueLimitsFromEnv(e: MemoryKeyValueEnv): { maxEntries: number; maxBytes: number } {
  return { maxEntries: e.FLYWHEEL_MEMORY_KV_MAX_ENTRIES, maxBytes: e.FLYWHEEL_MEMORY_KV_MAX_BYTES };
}
