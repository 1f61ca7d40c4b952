import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { EmbeddedEventBus } from './embedded-bus';
import type { EventBus } from './event-bus';
import { KafkaEventBus, type KafkaBusOptions } from './kafka-bus';

/** KAFKA_BROKERS set → Kafka through a durable spool; unset → the in-process log. */
export async function createEventBus(
  env: { KAFKA_BROKERS?: string; FLYWHEEL_DATA_DIR?: string },
  options: {
    source: string;
    registry?: Registry;
    spoolDir?: string;
    /** batching of a high-rate publisher (see KafkaBusOptions) */
    batching?: Pick<KafkaBusOptions, 'lingerMs' | 'spoolCommitDelayMs'>;
  },
): Promise<EventBus> {
  if (!env.KAFKA_BROKERS) return new EmbeddedEventBus(options.source, options.registry);
  return KafkaEventBus.create({
    brokers: env.KAFKA_BROKERS,
    source: options.source,
    spoolDir: options.spoolDir ?? join(env.FLYWHEEL_DATA_DIR ?? '.flywheel', 'spool', options.source),
    registry: options.registry,
    ...options.batching,
  });
}
