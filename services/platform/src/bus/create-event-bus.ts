import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { EmbeddedEventBus } from './embedded-bus';
import type { EventBus } from './event-bus';
import { KafkaEventBus, type KafkaBusOptions } from './kafka-bus';
import { parseKafkaEnv, type KafkaConnection } from './kafka-connection';

/**
 * KAFKA_BROKERS set → Kafka through a durable spool; unset → the in-process log. The KAFKA_*
 * variables of `env` (brokers, TLS, SASL) are parsed here unless `options.connection` is given.
 */
export async function createEventBus(
  env: NodeJS.ProcessEnv,
  options: {
    source: string;
    /** Kafka settings a service already parsed at boot (null: the embedded bus); wins over env */
    connection?: KafkaConnection | null;
    registry?: Registry;
    spoolDir?: string;
    /** batching of a high-rate publisher (see KafkaBusOptions) */
    batching?: Pick<KafkaBusOptions, 'lingerMs' | 'spoolCommitDelayMs'>;
  },
): Promise<EventBus> {
  const connection = options.connection === undefined ? parseKafkaEnv(env) : options.connection;
  if (!connection) return new EmbeddedEventBus(options.source, options.registry);
  const { brokers, ...security } = connection;
  return KafkaEventBus.create({
    brokers: brokers.join(','),
    security,
    source: options.source,
    spoolDir: options.spoolDir ?? join(env.FLYWHEEL_DATA_DIR ?? '.flywheel', 'spool', options.source),
    registry: options.registry,
    ...options.batching,
  });
}
