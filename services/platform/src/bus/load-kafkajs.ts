import type * as KafkaJs from 'kafkajs';

/**
 * kafkajs, loaded on first use so that a process on the embedded bus never loads it. It is
 * CommonJS: loaded as ESM (tsx, `npm start`) only some of its exports are detected as named ones
 * (not `ConfigResourceTypes`, which follows a spread), so take the module object itself.
 */
export async function loadKafkajs(): Promise<typeof KafkaJs> {
  const mod = (await import('kafkajs')) as typeof KafkaJs & { default?: typeof KafkaJs };
  return mod.default ?? mod;
}
